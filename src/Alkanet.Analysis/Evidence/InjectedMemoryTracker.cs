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

    public ulong End => Address + (ulong)Bytes.Count;
}

/// <summary>
/// Collects <see cref="InjectedRegion"/>s from the calls the analyzer sees (docs/EVIDENCE.md). A POKE's word is in the
/// record itself (<c>data</c>, the register), so ptrace needs no capture; process_vm_writev's bytes come from the
/// tracer's <c>capture=on</c> (its local iovecs' bytes, up to the per-call cap) and are placed at the first remote iovec;
/// NtWriteVirtualMemory's and a remote section view's the same way, at the target address.
/// </summary>
public sealed class InjectedMemoryTracker
{
    private const int MaxRegionBytes = 64 << 20;
    private readonly List<InjectedRegion> _regions = [];

    public IReadOnlyList<InjectedRegion> Regions => _regions;

    public void OnEvent(CallEvent e, ProcessNode p)
    {
        if (e.Failed || !e.HasReturn) return;
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
            region = new InjectedRegion { SourceSeq = seq, TargetPid = pid, Address = address };
            _regions.Add(region);
        }
        region.Bytes.AddRange(bytes);
        region.Techniques.Add(technique);
        region.Records.AddRange(e.RecordNumbers);
        if (gap is not null) region.Gaps.Add(gap);
    }

    private static ulong? Hex(string? s) =>
        s is not null && ulong.TryParse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v : null;
}
