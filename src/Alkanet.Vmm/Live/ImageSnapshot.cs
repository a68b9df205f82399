using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Alkanet.Vmm.Live;

/// <summary>
/// A named snapshot of a user's disk image, made once by <c>alkanet image prepare</c> and restored by every
/// <c>alkanet run --image DISK --snapshot NAME</c>. Its files live beside the image, in <c>DISK.alkanet/</c>
/// (the image itself is never written, whatever its format):
/// NAME.qcow2 — a qcow2 overlay whose backing file is the image, holding the disk as it was at the snapshot;
/// NAME.state — the machine's state (a QEMU migration stream: RAM, CPUs, devices), saved with the VM stopped;
/// NAME.vars.fd — the UEFI variable store at that moment; NAME.json — how it was made (this record).
/// A file-based state rather than an internal qcow2 snapshot (savevm/loadvm): QEMU's -loadvm cannot restore through a
/// snapshot=on overlay (it looks for the snapshot in the temporary overlay), and without snapshot=on every run would
/// write into the one overlay, so two runs (farm workers) could not share it. Here each run puts its own temporary
/// overlay over NAME.qcow2 and loads NAME.state with -incoming.
/// </summary>
public sealed partial record ImageSnapshot
{
    public const string FolderSuffix = ".alkanet";

    public required string Image { get; init; }
    public required string Name { get; init; }
    /// <summary>The guest's RAM, vCPUs and NIC: a restored machine must have exactly the devices it was saved with.</summary>
    public required int MemoryMiB { get; init; }
    public required int Cpus { get; init; }
    public required bool Network { get; init; }
    /// <summary>The image's size and modification time when the snapshot was made (a changed image voids it).</summary>
    public required long ImageBytes { get; init; }
    public required DateTime ImageWrittenUtc { get; init; }
    public DateTime CreatedUtc { get; init; }
    /// <summary>Seconds from QEMU's start to the plugin finding the kernel, and the settle time after that.</summary>
    public double KernelFoundAfterSeconds { get; init; }
    public double SettleSeconds { get; init; }
    /// <summary>The plugin's discovery line during the preparing boot.</summary>
    public string Discovery { get; init; } = "";

    public string Folder => FolderOf(Image);
    public string Overlay => Path.Combine(Folder, Name + ".qcow2");
    public string State => Path.Combine(Folder, Name + ".state");
    public string Vars => Path.Combine(Folder, Name + ".vars.fd");
    public string Info => Path.Combine(Folder, Name + ".json");

    /// <summary>Where an image's snapshots live: DISK.alkanet beside it.</summary>
    public static string FolderOf(string image) => Path.GetFullPath(image) + FolderSuffix;

    /// <summary>A snapshot name is a file name: letters, digits, '.', '_', '-', at most 64, not starting with '.'.</summary>
    public static void CheckName(string name)
    {
        if (!NamePattern().IsMatch(name))
            throw new ArgumentException($"snapshot name '{name}' must be 1-64 letters, digits, '.', '_' or '-' (not starting with '.')");
    }

    /// <summary>The names of the image's prepared snapshots (those whose four files exist), sorted.</summary>
    public static IReadOnlyList<string> List(string image)
    {
        var folder = FolderOf(image);
        if (!Directory.Exists(folder)) return [];
        return Directory.EnumerateFiles(folder, "*.json").Select(f => Path.GetFileNameWithoutExtension(f))
            .Where(n => NamePattern().IsMatch(n) && File.Exists(Path.Combine(folder, n + ".state"))
                && File.Exists(Path.Combine(folder, n + ".qcow2")))
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Opens the snapshot NAME of IMAGE, checking everything a restore needs before QEMU starts: the image, its
    /// snapshot folder, the four files, that the image has not changed since. Throws naming what is wrong and where.</summary>
    public static ImageSnapshot Open(string image, string name)
    {
        CheckName(name);
        var full = Path.GetFullPath(image);
        if (!File.Exists(full)) throw new FileNotFoundException($"the disk image {full} does not exist", full);
        var folder = FolderOf(full);
        if (!Directory.Exists(folder))
            throw new FileNotFoundException($"{full} has no prepared snapshot (no overlay folder {folder}); make one with: " +
                $"alkanet image prepare {image} --snapshot {name}", folder);
        var info = Path.Combine(folder, name + ".json");
        if (!File.Exists(info))
        {
            var known = List(full);
            throw new FileNotFoundException($"{full} has no snapshot '{name}' (in {folder}: " +
                $"{(known.Count == 0 ? "none" : string.Join(", ", known))}); make it with: alkanet image prepare {image} --snapshot {name}", info);
        }
        var s = Read(full, name, info);
        foreach (var f in new[] { s.Overlay, s.State, s.Vars })
            if (!File.Exists(f)) throw new FileNotFoundException($"snapshot '{name}' of {full} is incomplete: {f} is missing; prepare it again", f);
        var now = new FileInfo(full);
        if (now.Length != s.ImageBytes || Math.Abs((now.LastWriteTimeUtc - s.ImageWrittenUtc).TotalSeconds) > 1)
            throw new InvalidDataException($"{full} changed since snapshot '{name}' was made ({s.ImageBytes} bytes, written " +
                $"{s.ImageWrittenUtc:u}; now {now.Length} bytes, {now.LastWriteTimeUtc:u}): the snapshot's disk no longer matches; prepare it again");
        return s;
    }

    private static ImageSnapshot Read(string image, string name, string info)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(info));
            var r = doc.RootElement;
            return new ImageSnapshot
            {
                Image = image, Name = name, MemoryMiB = r.GetProperty("memory_mib").GetInt32(), Cpus = r.GetProperty("cpus").GetInt32(),
                Network = r.GetProperty("network").GetBoolean(), ImageBytes = r.GetProperty("image_bytes").GetInt64(),
                ImageWrittenUtc = r.GetProperty("image_written_utc").GetDateTime().ToUniversalTime(),
                CreatedUtc = r.GetProperty("created_utc").GetDateTime().ToUniversalTime(),
                KernelFoundAfterSeconds = r.GetProperty("kernel_found_after_s").GetDouble(),
                SettleSeconds = r.GetProperty("settle_s").GetDouble(), Discovery = r.GetProperty("discovery").GetString() ?? "",
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{info}: not a snapshot description ({e.Message}); prepare the snapshot again", e);
        }
    }

    /// <summary>Writes NAME.json (to <paramref name="path"/>, the caller renames it into place).</summary>
    public void WriteInfo(string path)
    {
        using (var fs = File.Create(path))
        using (var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("image", Image);
            w.WriteString("name", Name);
            w.WriteNumber("memory_mib", MemoryMiB);
            w.WriteNumber("cpus", Cpus);
            w.WriteBoolean("network", Network);
            w.WriteNumber("image_bytes", ImageBytes);
            w.WriteString("image_written_utc", ImageWrittenUtc.ToString("o", CultureInfo.InvariantCulture));
            w.WriteString("created_utc", CreatedUtc.ToString("o", CultureInfo.InvariantCulture));
            w.WriteNumber("kernel_found_after_s", Math.Round(KernelFoundAfterSeconds, 3));
            w.WriteNumber("settle_s", SettleSeconds);
            w.WriteString("discovery", Discovery);
            w.WriteEndObject();
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}
