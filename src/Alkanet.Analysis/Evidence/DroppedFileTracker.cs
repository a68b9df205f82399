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
    private readonly Dictionary<(int Seq, ulong Fd), long> _positions = [];
    private readonly List<DroppedFile> _files = [];
    private long _runBytes;

    public DroppedFileLimits Limits { get; } = limits ?? new DroppedFileLimits();

    /// <summary>Every file written, in the order of its first write.</summary>
    public IReadOnlyList<DroppedFile> Files => _files;

    /// <summary>Calls whose arguments the tracker reads beyond those the analyzer's handlers keep.</summary>
    public static bool WantsArguments(string name) => name is "sendfile" or "copy_file_range" or "splice";

    private const ulong OAppend = 0x400;

    public void OnEvent(CallEvent e, ProcessNode p)
    {
        switch (e.Name)
        {
            case "open": case "openat": case "openat2": case "creat":
                if (e.Succeeded && Hex(e, "out_handle") is { } fd)
                {
                    var append = (Hex(e, "flags") ?? 0) & OAppend;
                    var known = e["fd_path"] is { } path && _byPath.TryGetValue(path, out var f) ? f.Length : 0;
                    _positions[(p.Seq, fd)] = append != 0 ? known : 0;
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
        if (e.Failed || !e.HasReturn || Hex(e, "fd") is not { } fd || FilePath(e["fd_path"]) is not { } path) return;
        var written = (long)e.RetVal;
        if (written <= 0) return;
        var records = e.RecordNumbers.ToArray();
        var file = FileAt(path, path, p);
        long offset;
        if (Hex(e, "offset") is { } pos) offset = (long)pos;
        else if (_positions.TryGetValue((p.Seq, fd), out var tracked))
        {
            offset = tracked;
            _positions[(p.Seq, fd)] = tracked + written;
        }
        else
        {   // opened before the trace or by a call the tracker does not follow (dup, fcntl): append, and say so
            offset = file.Length;
            _positions[(p.Seq, fd)] = offset + written;
            file.Gaps.Add(new CaptureGap(offset, 0,
                "the fd's position was not traced (opened before the log or duplicated); bytes appended", records));
        }

        Store(file, offset, written, hasData, data, p, records);
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
    private void Store(DroppedFile file, long offset, long written, bool hasData, InfoValue data, ProcessNode p, long[] records)
    {
        var bytes = Bytes(hasData, data, out var why);
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

    private static string PerCallReason(int captured) => $"the hook captures the first {captured} bytes of a call";

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

/// <summary>How much the host keeps (the guest pays for the per-call read only, whatever these say).</summary>
public sealed record DroppedFileLimits
{
    public long MaxFileBytes { get; init; } = 64L << 20;

    public long MaxRunBytes { get; init; } = 1L << 30;
}
