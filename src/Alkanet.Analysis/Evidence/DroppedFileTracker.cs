using System.Globalization;
using Alkanet.Analysis.Events;
using Alkanet.Analysis.Model;
using Alkanet.Core.Records;

namespace Alkanet.Analysis.Evidence;

/// <summary>
/// Rebuilds the files the traced processes wrote from the <c>data</c> their writes carry (the tracer's
/// <c>capture=on</c>, docs/EVIDENCE.md): each write's bytes go at the fd's position (tracked from the open, or the
/// call's own <c>offset</c>), as many as the EXIT says were written; renames add a path, an unlink marks the file
/// deleted. Whatever reached a file without reaching the host is a gap with its reason: the per-call bound, a buffer
/// the hook could not read, a cap, a position the trace does not know, or a call whose bytes the hook does not see
/// (sendfile, copy_file_range, splice). The analyzer feeds it every call; it keeps only files under a path.
/// </summary>
public sealed partial class DroppedFileTracker(DroppedFileLimits? limits = null)
{
    private readonly Dictionary<string, DroppedFile> _byPath = new(StringComparer.Ordinal);
    // An fd's file position; dup'ed fds share one (they share the kernel's open file description).
    private readonly Dictionary<(int Seq, ulong Fd), FilePosition> _positions = [];
    private readonly List<DroppedFile> _files = [];
    private long _runBytes;

    public DroppedFileLimits Limits { get; } = limits ?? new DroppedFileLimits();

    /// <summary>Every file written, in the order of its first write.</summary>
    public IReadOnlyList<DroppedFile> Files => _files;

    /// <summary>Where writes to <c>/proc/PID/mem</c> go (bytes written into another process's memory); null: ignored.</summary>
    public InjectedMemoryTracker? Memory { get; init; }

    /// <summary>Calls whose arguments the tracker reads beyond those the analyzer's handlers keep.</summary>
    public static bool WantsArguments(string name) =>
        name is "sendfile" or "copy_file_range" or "splice" or "dup" or "dup2" or "dup3" or "fcntl" or "lseek" or "link" or "linkat";

    private const ulong OAppend = 0x400, FDupFd = 0, FDupFdCloexec = 1030;

    private sealed class FilePosition(long value)
    {
        public long Value = value;
    }

    public void OnEvent(CallEvent e, ProcessNode p)
    {
        switch (e.Name)
        {
            case "open": case "openat": case "openat2": case "creat":
                if (e.Succeeded && Hex(e, "out_handle") is { } fd)
                {
                    var append = (Hex(e, "flags") ?? 0) & OAppend;
                    var known = e["fd_path"] is { } path && _byPath.TryGetValue(path, out var f) ? f.Length : 0;
                    _positions[(p.Seq, fd)] = new FilePosition(append != 0 ? known : 0);
                }
                break;
            case "dup": case "dup2": case "dup3": case "fcntl":
                // the new fd (the return) shares the old one's position; fcntl only for F_DUPFD(_CLOEXEC)
                if (e.Succeeded && e.HasReturn && Hex(e, "fd") is { } old && (e.Name != "fcntl" || Hex(e, "cmd") is FDupFd or FDupFdCloexec)
                    && _positions.TryGetValue((p.Seq, old), out var shared))
                    _positions[(p.Seq, e.RetVal)] = shared;
                break;
            case "lseek":
                if (e.Succeeded && e.HasReturn && Hex(e, "fd") is { } seeked)
                {
                    if (_positions.TryGetValue((p.Seq, seeked), out var at)) at.Value = (long)e.RetVal;
                    else _positions[(p.Seq, seeked)] = new FilePosition((long)e.RetVal);
                }
                break;
            case "link": case "linkat":
                if (e.Succeeded && e["old_path"] is { } linked && e["new_path"] is { } second && _byPath.TryGetValue(linked, out var file))
                {
                    file.Paths.Add(second);
                    _byPath[second] = file;
                }
                break;
            case "write": case "pwrite64": case "writev": case "pwritev": case "pwritev2":
                OnWrite(e, p);
                break;
            case "sendfile": case "copy_file_range": case "splice":
                if (e.Succeeded && e.HasReturn && e["fd_path"] is { } target && _byPath.TryGetValue(target, out var unseen))
                {
                    var at = unseen.Length;
                    unseen.Extend(at + (long)e.RetVal);
                    unseen.Gaps.Add(new CaptureGap(at, (long)e.RetVal, $"written by {e.Name}, whose bytes the hook does not read",
                        [.. e.RecordNumbers]));
                }
                break;
            case "rename": case "renameat": case "renameat2":
                if (e.Succeeded && e["old_path"] is { } from && e["new_path"] is { } to && _byPath.Remove(from, out var moved))
                {
                    moved.Paths.Add(to);
                    if (_byPath.Remove(to, out var replaced)) Delete(replaced, e.No);
                    _byPath[to] = moved;
                }
                break;
            case "unlink": case "unlinkat":
                if (e.Succeeded && e["path"] is { } gone && _byPath.Remove(gone, out var deleted)) Delete(deleted, e.No);
                break;
            default:
                if (CallNames.IsWindows(e.Name)) OnWindowsEvent(e, p);
                break;
        }
    }

    private static void Delete(DroppedFile f, long no)
    {
        f.Deleted = true;
        f.DeletedNo = no;
    }

    private void OnWrite(CallEvent e, ProcessNode p)
    {
        var hasData = e.Info.TryGet("data", out var data);
        if (!hasData && e["truncated"] is null) return; // capture off
        if (e.Failed || !e.HasReturn || Hex(e, "fd") is not { } fd) return;
        var written = (long)e.RetVal;
        if (written <= 0) return;
        if (ProcMemPid(e["fd_path"]) is { } target)
        {
            OnMemWrite(e, p, fd, target, written, hasData, data);
            return;
        }
        if (FilePath(e["fd_path"]) is not { } path) return;
        var records = e.RecordNumbers.ToArray();
        var file = FileAt(path, path, p);
        var offset = Position(e, p, fd, written, out var traced);
        if (!traced)
        {   // opened before the trace, or inherited over a fork: append, and say so
            offset = file.Length;
            _positions[(p.Seq, fd)].Value = offset + written;
            file.Gaps.Add(new CaptureGap(offset, 0, "the fd's position was not traced (opened before the log or inherited); bytes appended",
                records));
        }

        Store(file, offset, written, hasData, data, p, records, Hex(e, "data_unread"));
    }

    /// <summary>The file under <paramref name="key"/>, or a new one named <paramref name="path"/> written first by <paramref name="p"/>.</summary>
    private DroppedFile FileAt(string key, string path, ProcessNode p)
    {
        if (_byPath.TryGetValue(key, out var file)) return file;
        file = new DroppedFile { WriterSeq = p.Seq };
        file.Paths.Add(path);
        _byPath[key] = file;
        _files.Add(file);
        return file;
    }

    /// <summary>Puts a write's captured bytes at <paramref name="offset"/> (as many as were written, within the caps) and
    /// marks what did not reach the host as a gap.</summary>
    private void Store(DroppedFile file, long offset, long written, bool hasData, InfoValue data, ProcessNode p, long[] records,
        ulong? unread = null)
    {
        var bytes = Bytes(hasData, data, out var why);
        if (why is null && unread is not null) why = $"the buffer at 0x{unread:x} could not be read";
        var take = (int)Math.Min(bytes.Length, written);
        var capped = false;
        if (file.CapturedBytes + take > Limits.MaxFileBytes)
        {
            take = (int)Math.Max(0, Limits.MaxFileBytes - file.CapturedBytes);
            capped = true;
            why = "per-file cap reached";
        }
        if (_runBytes + take > Limits.MaxRunBytes)
        {
            take = (int)Math.Max(0, Limits.MaxRunBytes - _runBytes);
            capped = true;
            why = "per-run cap reached";
        }
        if (offset + take > int.MaxValue) { take = 0; why = "offset beyond 2 GiB"; }
        if (take > 0)
        {
            file.Put(offset, bytes.AsSpan(0, take));
            file.Ranges.Add(new CapturedRange(offset, take, p.Seq, records));
            _runBytes += take;
        }
        file.Extend(offset + written);
        if (take < written)
            file.Gaps.Add(new CaptureGap(offset + take, written - take, capped || why is not null ? why! : PerCallReason(bytes.Length), records));
    }

    private static string PerCallReason(int captured) => $"the hook captures the first {captured} bytes of a call (per-call cap)";

    /// <summary>Where a write goes: the call's own <c>offset</c>, or the fd's traced position, which it then moves.
    /// <paramref name="traced"/> is false when the fd's position was unknown (0 is returned; the caller decides).</summary>
    private long Position(CallEvent e, ProcessNode p, ulong fd, long written, out bool traced)
    {
        traced = true;
        if (Hex(e, "offset") is { } pos) return (long)pos;
        if (_positions.TryGetValue((p.Seq, fd), out var tracked))
        {
            var at = tracked.Value;
            tracked.Value = at + written;
            return at;
        }
        traced = false;
        _positions[(p.Seq, fd)] = new FilePosition(written);
        return 0;
    }

    /// <summary>A write to <c>/proc/PID/mem</c>: the file position is the address in the target (set by lseek or
    /// pwrite64's offset); the bytes become an injected region (docs/EVIDENCE.md).</summary>
    private void OnMemWrite(CallEvent e, ProcessNode p, ulong fd, ulong target, long written, bool hasData, InfoValue data)
    {
        var address = (ulong)Position(e, p, fd, written, out var traced);
        if (Memory is null) return;
        var bytes = Bytes(hasData, data, out var why);
        if (bytes.Length > written) bytes = bytes[..(int)written];
        if (!traced) why = "the address (the fd's position) was not traced";
        else if (why is null && bytes.Length < written)
            why = Hex(e, "data_unread") is { } unread ? $"the buffer at 0x{unread:x} could not be read" : PerCallReason(bytes.Length);
        Memory.Add(p.Seq, target, address, traced ? bytes : [], "/proc/pid/mem", e, why);
    }

    /// <summary>The pid of a <c>/proc/PID/mem</c> path, else null.</summary>
    private static ulong? ProcMemPid(string? fdPath)
    {
        if (fdPath is not { Length: > 10 } || !fdPath.StartsWith("/proc/", StringComparison.Ordinal)
            || !fdPath.EndsWith("/mem", StringComparison.Ordinal)) return null;
        var pid = fdPath.AsSpan(6, fdPath.Length - 10);
        return ulong.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    /// <summary>The captured bytes, or none with the reason (hostile input: a malformed value is a gap, not a crash).</summary>
    private static byte[] Bytes(bool hasData, InfoValue data, out string? why)
    {
        why = null;
        if (!hasData) { why = "the record was truncated before its data"; return []; }
        if (data.IsUnreadable) { why = $"the buffer at 0x{data.Address:x} could not be read"; return []; }
        if (Core.Json.RecordJsonWriter.TryUnreadableAddress(data.Text, out var at))
        {   // a log read back holds the written form (docs/RECORD.md)
            why = $"the buffer at 0x{at:x} could not be read";
            return [];
        }
        try { return Convert.FromBase64String(data.Text ?? ""); }
        catch (FormatException) { why = "the record's data is not base64"; return []; }
    }

    /// <summary>A regular file's path from an fd path; null for pipes, sockets, anonymous files and devices.</summary>
    private static string? FilePath(string? fdPath)
    {
        if (fdPath is null || !fdPath.StartsWith('/')) return null;
        if (fdPath.StartsWith("/proc/", StringComparison.Ordinal) || fdPath.StartsWith("/sys/", StringComparison.Ordinal)) return null;
        if (fdPath.StartsWith("/dev/", StringComparison.Ordinal) && !fdPath.StartsWith("/dev/shm/", StringComparison.Ordinal)) return null;
        return fdPath;
    }

    private static ulong? Hex(CallEvent e, string key) =>
        e[key] is { } s && ulong.TryParse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v : null;
}

/// <summary>How much the host keeps (<c>--capture-per-file</c>, <c>--capture-per-run</c>); the per-call cap is the hook's.</summary>
public sealed record DroppedFileLimits
{
    public long MaxFileBytes { get; init; } = 64L << 20;

    public long MaxRunBytes { get; init; } = 1L << 30;
}
