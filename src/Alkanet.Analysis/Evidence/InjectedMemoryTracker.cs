using System.Globalization;
using Alkanet.Analysis.Events;
using Alkanet.Analysis.Model;
using Alkanet.Core.Records;

namespace Alkanet.Analysis.Evidence;

/// <summary>A run of bytes one process wrote into another's memory: ptrace POKETEXT/POKEDATA words,
/// process_vm_writev and NtWriteVirtualMemory buffers, section views mapped into it (their <c>data</c>), merged while each write starts where the
/// last ended. <see cref="Size"/> counts what the kernel wrote; <see cref="Gaps"/> what the host did not get.</summary>
public sealed class InjectedRegion
{
    public required int SourceSeq { get; init; }

    public required ulong TargetPid { get; init; }

    public required ulong Address { get; init; }

    /// <summary>The calls that wrote it (ptrace, process_vm_writev, NtWriteVirtualMemory, NtMapViewOfSection), each once.</summary>
    public SortedSet<string> Techniques { get; } = new(StringComparer.Ordinal);

    internal List<byte> Bytes { get; } = [];

    public long Size => Bytes.Count;

    public List<long> Records { get; } = [];

    public List<string> Gaps { get; } = [];

    /// <summary>The protection of <see cref="Address"/> in the target when the region's first write was made (the latest
    /// allocation, protection or mapping call covering it before then), e.g. <c>PAGE_READWRITE</c>; null when no traced
    /// call set it.</summary>
    public string? ProtectAtWrite { get; internal set; }

    /// <summary>The protection of <see cref="Address"/> as the last call covering it left it (the same as
    /// <see cref="ProtectAtWrite"/> unless it changed after the write, e.g. RW then RX); null when unknown.</summary>
    public string? ProtectLast { get; internal set; }

    public ulong End => Address + (ulong)Bytes.Count;
}

/// <summary>
/// Collects <see cref="InjectedRegion"/>s from the calls the analyzer sees (docs/EVIDENCE.md). A POKE's word is in the
/// record itself (<c>data</c>, the register), so ptrace needs no capture; process_vm_writev's bytes come from the
/// tracer's <c>capture=on</c> (its local iovecs' bytes, up to the per-call cap) and are placed at the first remote iovec;
/// NtWriteVirtualMemory's and a remote section view's the same way, at the target address.
/// Protections come from the calls that set them in the target: NtAllocateVirtualMemory, NtProtectVirtualMemory and
/// NtMapViewOfSection by any process (their <c>target_pid</c>), and Linux mmap/mprotect by the target itself (Linux has
/// no call that sets another process's protection, so a region a ptrace or process_vm_writev wrote has one only when
/// the target's own mmap/mprotect of it was traced).
/// </summary>
public sealed class InjectedMemoryTracker
{
    private const int MaxRegionBytes = 64 << 20;
    private readonly List<InjectedRegion> _regions = [];

    // Per target pid, the protection calls in log order: (start, size, protection).
    private readonly Dictionary<ulong, List<(ulong Start, ulong Size, string Protect)>> _protections = [];

    public IReadOnlyList<InjectedRegion> Regions => _regions;

    /// <summary>Calls whose arguments the tracker reads beyond those the analyzer's handlers keep (the protections).</summary>
    public static bool WantsArguments(string name) =>
        name is "mmap" or "mprotect" or "NtAllocateVirtualMemory" or "NtProtectVirtualMemory" or "NtMapViewOfSection";

    public void OnEvent(CallEvent e, ProcessNode p)
    {
        if (e.Failed || !e.HasReturn) return;
        switch (e.Name)
        {
            case "NtAllocateVirtualMemory" or "NtMapViewOfSection":
                Protected(Hex(e["target_pid"]) ?? p.Pid, Hex(e["base_address"]), Hex(e["region_size"]), Protection(e, "protect"));
                break;
            case "NtProtectVirtualMemory":
                Protected(Hex(e["target_pid"]) ?? p.Pid, Hex(e["base_address"]), Hex(e["region_size"]), Protection(e, "new_protect"));
                break;
            case "mmap":
                Protected(p.Pid, e.RetVal, Hex(e["size"]), Protection(e, "prot"));
                break;
            case "mprotect":
                Protected(p.Pid, Hex(e["base_address"]), Hex(e["size"]), Protection(e, "prot"));
                break;
        }
        switch (e.Name)
        {
            case "ptrace" when e["request_name"] is "PTRACE_POKETEXT" or "PTRACE_POKEDATA":
                if (Hex(e["target_pid"]) is { } pid && Hex(e["addr"]) is { } addr && Hex(e["data"]) is { } word)
                    Add(p.Seq, pid, addr, BitConverter.GetBytes(word), "ptrace", e, null);
                break;
            case "process_vm_writev":
                if (Hex(e["target_pid"]) is not { } target || Hex(e["base_address"]) is not { } at || !e.Info.TryGet("data", out var data)) return;
                AddCaptured(p.Seq, target, at, (long)e.RetVal, data, "process_vm_writev", e);
                break;
            // Windows (capture=on): NtWriteVirtualMemory's buffer at ENTER, written as many bytes as the EXIT says; a view of
            // a section mapped into another process, read at EXIT through the caller's own view (WindowsWriteCapture).
            case "NtWriteVirtualMemory":
                if (Hex(e["target_pid"]) is not { } wTarget || wTarget == p.Pid || Hex(e["base_address"]) is not { } wAt
                    || !e.Info.TryGet("data", out var wData)) return;
                AddCaptured(p.Seq, wTarget, wAt, (long)(Hex(e["bytes_written"]) ?? Hex(e["size"]) ?? 0), wData, e.Name, e);
                break;
            case "NtMapViewOfSection":
                if (Hex(e["target_pid"]) is not { } mTarget || mTarget == p.Pid || Hex(e["base_address"]) is not { } mAt
                    || !e.Info.TryGet("data", out var mData)) return;
                AddCaptured(p.Seq, mTarget, mAt, (long)(Hex(e["region_size"]) ?? 0), mData, e.Name, e);
                break;
        }
    }

    /// <summary>A write whose bytes the hook captured as <c>data</c> (base64, the first bytes of the buffer): placed at
    /// <paramref name="at"/>, cut to what was <paramref name="written"/>, the rest a gap.</summary>
    private void AddCaptured(int seq, ulong target, ulong at, long written, InfoValue data, string technique, CallEvent e)
    {
        byte[] bytes;
        string? gap = null;
        if (data.IsUnreadable || Core.Json.RecordJsonWriter.EndsUnreadable(data.Text))
        {
            bytes = [];
            gap = "the local buffer could not be read";
        }
        else
        {
            try { bytes = Convert.FromBase64String(data.Text); }
            catch (FormatException) { bytes = []; gap = "the record's data is not base64"; }
        }
        if (bytes.Length > written) bytes = bytes[..(int)Math.Max(0, written)];
        if (gap is null && bytes.Length < written)
            gap = Hex(e["data_unread"]) is { } unread ? $"the buffer at 0x{unread:x} could not be read"
                : $"the hook captures the first {bytes.Length} bytes of a call ({written} written)";
        Add(seq, target, at, bytes, technique, e, gap);
    }

    internal void Add(int seq, ulong pid, ulong address, byte[] bytes, string technique, CallEvent e, string? gap)
    {
        var region = _regions.FindLast(r => r.SourceSeq == seq && r.TargetPid == pid);
        if (region is null || region.End != address || region.Gaps.Count > 0 || region.Size + bytes.Length > MaxRegionBytes)
        {
            var protect = ProtectionAt(pid, address);
            region = new InjectedRegion { SourceSeq = seq, TargetPid = pid, Address = address, ProtectAtWrite = protect, ProtectLast = protect };
            _regions.Add(region);
        }
        region.Bytes.AddRange(bytes);
        region.Techniques.Add(technique);
        region.Records.AddRange(e.RecordNumbers);
        if (gap is not null) region.Gaps.Add(gap);
    }

    /// <summary>A call set the protection of [start, start+size) in <paramref name="pid"/>: remembered, and the last
    /// protection of the regions already written there that it covers.</summary>
    private void Protected(ulong pid, ulong? start, ulong? size, string? protect)
    {
        if (start is not { } at || size is not { } n || n == 0 || protect is null) return;
        if (!_protections.TryGetValue(pid, out var list)) _protections[pid] = list = [];
        list.Add((at, n, protect));
        foreach (var r in _regions)
            if (r.TargetPid == pid && r.Address - at < n) r.ProtectLast = protect;
    }

    private string? ProtectionAt(ulong pid, ulong address)
    {
        if (!_protections.TryGetValue(pid, out var list)) return null;
        for (var i = list.Count - 1; i >= 0; i--)
            if (address - list[i].Start < list[i].Size) return list[i].Protect;
        return null;
    }

    /// <summary>The protection's names (<c>PAGE_EXECUTE_READ</c>, <c>PROT_READ|PROT_EXEC</c>), else its value as 0xHEX.</summary>
    private static string? Protection(CallEvent e, string key) =>
        e[key + "_names"] is { Length: > 0 } names ? names : Hex(e[key]) is { } v ? $"0x{v:x}" : null;

    private static ulong? Hex(string? s) =>
        s is not null && ulong.TryParse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v : null;
}
