using System.Text.Json;

namespace Alkanet.Analysis.Evidence;

/// <summary>
/// Writes the evidence of a run under its folder: <c>files/&lt;sha256&gt;</c> and <c>memory/&lt;sha256&gt;</c>
/// (content-addressed, so the same bytes dropped twice are stored once) and <c>artifacts.json</c> (docs/EVIDENCE.md gives its fields).
/// Each file goes to a temporary name first and is renamed into place, so a full disk leaves no half-written artifact under its
/// final name.
/// </summary>
public static class ArtifactStore
{
    public const string IndexName = "artifacts.json";

    /// <summary>Writes the contents, then the index. A content that cannot be written (a full disk) does not stop the others:
    /// its index entry says <c>"stored": false</c> with <c>store_error</c>, and the count is returned. Only the index's own
    /// failure throws.</summary>
    /// <exception cref="IOException">The index cannot be written (the message names the file).</exception>
    public static int Write(string dir, IReadOnlyList<DroppedFileArtifact> files, IReadOnlyList<InjectedMemoryArtifact>? memory = null)
    {
        memory ??= [];
        var failed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, content) in files.Select(f => (f.ContentPath, f.Content)).Concat(memory.Select(m => (m.ContentPath, m.Content))))
        {
            var target = Path.Combine(dir, path);
            if (File.Exists(target) || failed.ContainsKey(path)) continue;
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                WriteAtomic(target, s => s.Write(content.Span));
            }
            catch (IOException ex)
            {
                failed[path] = ex.Message;
            }
        }
        WriteAtomic(Path.Combine(dir, IndexName), s => WriteIndex(s, files, memory, failed));
        return failed.Count;
    }

    private static void WriteAtomic(string path, Action<Stream> write)
    {
        var temp = path + ".tmp";
        try
        {
            using (var s = new FileStream(temp, FileMode.Create, FileAccess.Write)) write(s);
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException ex)
        {
            File.Delete(temp);
            throw new IOException($"{path}: {ex.Message}", ex);
        }
    }

    private static void WriteIndex(Stream s, IReadOnlyList<DroppedFileArtifact> files, IReadOnlyList<InjectedMemoryArtifact> memory,
        Dictionary<string, string> failed)
    {
        using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteStartArray("files");
        foreach (var f in files) WriteFile(w, f, failed);
        w.WriteEndArray();
        w.WriteStartArray("memory");
        foreach (var m in memory) WriteMemory(w, m, failed);
        w.WriteEndArray();
        w.WriteNumber("not_stored", failed.Count);
        w.WriteEndObject();
    }

    /// <summary>Whether the content reached the disk, and why not.</summary>
    private static void Stored(Utf8JsonWriter w, string contentPath, Dictionary<string, string> failed)
    {
        var error = failed.GetValueOrDefault(contentPath);
        w.WriteBoolean("stored", error is null);
        if (error is not null) w.WriteString("store_error", error);
    }

    private static void WriteMemory(Utf8JsonWriter w, InjectedMemoryArtifact m, Dictionary<string, string> failed)
    {
        w.WriteStartObject();
        w.WriteNumber("source_seq", m.SourceSeq);
        w.WriteString("source_name", m.SourceName);
        w.WriteString("target_pid", m.TargetPid.ToString("x"));
        w.WriteString("address", m.Address.ToString("x"));
        w.WriteNumber("size", m.Size);
        w.WriteString("protect_at_write", m.ProtectAtWrite);
        w.WriteString("protect_last", m.ProtectLast);
        w.WriteString("sha256", m.Sha256);
        w.WriteString("content", m.ContentPath);
        Stored(w, m.ContentPath, failed);
        w.WriteStartArray("techniques");
        foreach (var t in m.Techniques) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteBoolean("partial", m.Partial);
        w.WriteStartArray("gaps");
        foreach (var g in m.Gaps) w.WriteStringValue(g);
        w.WriteEndArray();
        Records(w, m.Records);
        w.WriteEndObject();
    }

    private static void WriteFile(Utf8JsonWriter w, DroppedFileArtifact f, Dictionary<string, string> failed)
    {
        w.WriteStartObject();
        w.WriteString("path", f.Paths[^1]);
        w.WriteStartArray("paths");
        foreach (var p in f.Paths) w.WriteStringValue(p);
        w.WriteEndArray();
        w.WriteBoolean("deleted", f.Deleted);
        if (f.DeletedNo is { } no) w.WriteNumber("deleted_record", no);
        w.WriteNumber("size", f.Size);
        w.WriteNumber("captured", f.Captured);
        w.WriteString("sha256", f.Sha256);
        w.WriteString("sha1", f.Sha1);
        w.WriteString("md5", f.Md5);
        w.WriteString("type", f.Type);
        w.WriteString("mime_type", f.MimeType);
        w.WriteBoolean("partial", f.Partial);
        w.WriteString("content", f.ContentPath);
        Stored(w, f.ContentPath, failed);
        w.WriteStartObject("writer");
        w.WriteNumber("seq", f.WriterSeq);
        w.WriteNumber("pid", f.WriterPid);
        w.WriteString("name", f.WriterName);
        w.WriteEndObject();
        Spans(w, "ranges", f.Ranges.Select(r => (r.Offset, r.Length, (Action)(() => w.WriteNumber("writer_seq", r.WriterSeq)), r.Records)));
        Spans(w, "gaps", f.Gaps.Select(g => (g.Offset, g.Length, (Action)(() => w.WriteString("reason", g.Reason)), g.Records)));
        w.WriteEndObject();
    }

    /// <summary>Byte ranges of a file (captured, or gaps): offset, length, what else the kind says, the records.</summary>
    private static void Spans(Utf8JsonWriter w, string name, IEnumerable<(long Offset, long Length, Action Extra, IReadOnlyList<long> Records)> spans)
    {
        w.WriteStartArray(name);
        foreach (var (offset, length, extra, records) in spans)
        {
            w.WriteStartObject();
            w.WriteNumber("offset", offset);
            w.WriteNumber("length", length);
            extra();
            Records(w, records);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Records(Utf8JsonWriter w, IReadOnlyList<long> records)
    {
        w.WriteStartArray("records");
        foreach (var n in records) w.WriteNumberValue(n);
        w.WriteEndArray();
    }
}
