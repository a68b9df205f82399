using Alkanet.Analysis.Events;
using Alkanet.Analysis.Model;

namespace Alkanet.Analysis.Evidence;

/// <summary>
/// Windows native calls (docs/EVIDENCE.md): NtCreateFile/NtOpenFile give each handle its path (the caller's name,
/// <c>\??\C:\x</c> shown as <c>C:\x</c>, else the file object's name) and a position; NtWriteFile's <c>data</c> goes at its
/// <c>offset</c> (ByteOffset, or the file object's position the hook read), else at the handle's traced position, as
/// many bytes as IO_STATUS_BLOCK.Information says were written; NtSetInformationFile FileRenameInformation(Ex) adds a
/// path, FileDispositionInformation(Ex) marks the file deleted (or not again), as do NtDeleteFile and
/// FILE_DELETE_ON_CLOSE; a create that supersedes or overwrites starts a new file under the path. Paths are compared
/// without case, as NTFS does.
/// </summary>
public sealed partial class DroppedFileTracker
{
    private readonly Dictionary<(int Seq, ulong Handle), string> _winHandles = [];

    private const ulong FileDeleteOnClose = 0x1000;

    private void OnWindowsEvent(CallEvent e, ProcessNode p)
    {
        switch (e.Name)
        {
            case "NtCreateFile" or "NtOpenFile":
                if (e.Failed || Hex(e, "out_handle") is not { } handle || WindowsPath(e, p) is not { } path) return;
                if (_winHandles.Count >= MaxWindowsHandles) return;
                _winHandles[(p.Seq, handle)] = path;
                _positions[(p.Seq, handle)] = new FilePosition(0);
                // FILE_SUPERSEDE, FILE_CREATE, FILE_OVERWRITE, FILE_OVERWRITE_IF: the file starts empty, a new content.
                if (e.Name == "NtCreateFile" && Hex(e, "create_disposition") is 0 or 2 or 4 or 5) _byPath.Remove(Key(path));
                if (((Hex(e, "create_options") ?? 0) & FileDeleteOnClose) != 0) _deleteOnClose.Add((p.Seq, handle));
                break;
            case "NtWriteFile":
                OnWindowsWrite(e, p);
                break;
            case "NtSetInformationFile":
                if (e.Failed || Hex(e, "file_handle") is not { } h || !_winHandles.TryGetValue((p.Seq, h), out var current)) return;
                if (e["new_name"] is { } newName && WindowsDisplay(Paths.SplitRooted(newName).Name) is { } to)
                {
                    if (_byPath.Remove(Key(current), out var moved))
                    {
                        moved.Paths.Add(to);
                        if (_byPath.Remove(Key(to), out var replaced) && !replaced.Deleted) Delete(replaced, e.No);
                        _byPath[Key(to)] = moved;
                    }
                    _winHandles[(p.Seq, h)] = to;
                }
                else if (e["delete"] is { } delete && _byPath.TryGetValue(Key(current), out var file))
                {   // delete-pending: the file goes when its last handle closes, unless a later call clears the flag
                    file.Deleted = delete == "1";
                    file.DeletedNo = file.Deleted ? e.No : null;
                }
                break;
            case "NtDeleteFile":
                if (e.Succeeded && WindowsPath(e, p) is { } gone && _byPath.Remove(Key(gone), out var deleted)) Delete(deleted, e.No);
                break;
            case "NtClose":
                if (Hex(e, "handle") is not { } closed || !_winHandles.Remove((p.Seq, closed), out var named)) return;
                // The last handle of a delete-pending file (or one opened FILE_DELETE_ON_CLOSE): the name is free again.
                var onClose = _deleteOnClose.Remove((p.Seq, closed));
                if (_byPath.TryGetValue(Key(named), out var closing) && (onClose || closing.Deleted))
                {
                    _byPath.Remove(Key(named));
                    if (!closing.Deleted) Delete(closing, e.No);
                }
                _positions.Remove((p.Seq, closed));
                break;
        }
    }

    private readonly HashSet<(int Seq, ulong Handle)> _deleteOnClose = [];

    /// <summary>Handles remembered at most (a hostile guest opening files without end keeps memory bounded).</summary>
    private const int MaxWindowsHandles = 1 << 20;

    private void OnWindowsWrite(CallEvent e, ProcessNode p)
    {
        var hasData = e.Info.TryGet("data", out var data);
        if (!hasData && e["truncated"] is null) return; // capture off
        if (e.Failed || !e.HasReturn || Hex(e, "file_handle") is not { } handle) return;
        var path = _winHandles.TryGetValue((p.Seq, handle), out var known) ? known : WindowsDisplay(e["object_name"]);
        if (path is null) return;
        // IO_STATUS_BLOCK.Information; a write still pending (STATUS_PENDING) has not said how much it wrote yet.
        var written = (long)(Hex(e, "bytes_written") ?? (e.RetVal == 0 ? Hex(e, "size") ?? 0 : 0));
        if (written <= 0) return;
        var records = e.RecordNumbers.ToArray();
        var file = FileAt(Key(path), path, p);
        long offset;
        if (Hex(e, "offset") is { } at) offset = (long)at;
        else if (e["to_end_of_file"] == "1") offset = file.Length;
        else if (_positions.TryGetValue((p.Seq, handle), out var tracked)) offset = tracked.Value;
        else
        {
            offset = file.Length;
            file.Gaps.Add(new CaptureGap(offset, 0,
                "the handle's position was not traced (opened before the log or duplicated); bytes appended", records));
        }
        _positions[(p.Seq, handle)] = new FilePosition(offset + written);
        Store(file, offset, written, hasData, data, p, records);
    }

    /// <summary>The path a create/open names: the caller's absolute name (root handle 0, or a traced directory handle joined
    /// to it), else the file object's name; null for devices, pipes and mailslots.</summary>
    private string? WindowsPath(CallEvent e, ProcessNode p)
    {
        if (e["file_name"] is { Length: > 0 } raw && !Core.Json.RecordJsonWriter.EndsUnreadable(raw))
        {
            var (root, name) = Paths.SplitRooted(raw);
            if (root == 0) return WindowsDisplay(name);
            if (_winHandles.TryGetValue((p.Seq, root), out var dir)) return WindowsDisplay(dir.TrimEnd('\\') + "\\" + name.TrimStart('\\'));
        }
        return WindowsDisplay(e["object_name"]);
    }

    /// <summary>A regular file's display path (<c>C:\x</c>, or a volume-relative <c>\x</c> from a file object), else null.</summary>
    private static string? WindowsDisplay(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.StartsWith('<')) return null;
        var shown = Paths.Display(name);
        if (shown.Length >= 3 && char.IsAsciiLetter(shown[0]) && shown[1] == ':' && shown[2] == '\\') return shown;
        if (!shown.StartsWith('\\') || shown.StartsWith("\\\\", StringComparison.Ordinal)) return null;
        foreach (var device in NotFiles)
            if (shown.StartsWith(device, StringComparison.OrdinalIgnoreCase)) return null;
        return shown;
    }

    private static readonly string[] NotFiles = ["\\Device\\", "\\pipe\\", "\\mailslot\\", "\\??\\", "\\GLOBAL??\\"];

    /// <summary>NTFS compares names without case: one key for every spelling.</summary>
    private static string Key(string windowsPath) => windowsPath.ToUpperInvariant();
}
