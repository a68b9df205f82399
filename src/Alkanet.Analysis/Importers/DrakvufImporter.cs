using System.Globalization;
using System.Text;
using System.Text.Json;
using Alkanet.Analysis.Events;
using Alkanet.Analysis.Model;
using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Analysis.Importers;

/// <summary>
/// Reads DRAKVUF's JSON-lines output: <c>syscall</c> lines become ENTER records, <c>sysret</c> lines EXIT records
/// (paired like Alkanet's), <c>procmon</c> lines give process creations and the running-process list, <c>inject</c> names
/// the sample, and <c>apimon</c>, <c>filetracer</c>, <c>regmon</c>, <c>socketmon</c> and <c>memdump</c> lines become calls
/// (<see cref="DrakvufPlugins"/>). Argument names are mapped to the shared vocabulary where they mean the same thing;
/// other plugins' lines are counted and skipped.
/// A line that is not JSON is an error naming file, line and offset (or a counted skip with skipBad).
/// </summary>
public static class DrakvufImporter
{
    private static readonly Dictionary<string, string> ArgNames = new(StringComparer.Ordinal)
    {
        ["pathname"] = "path",
        ["filename"] = "path",
        ["oldname"] = "old_path",
        ["newname"] = "new_path",
        ["flags"] = "flags",
        ["mode"] = "mode",
        ["fd"] = "fd",
        ["ProcessHandle"] = "process_handle",
        ["ThreadHandle"] = "thread_handle",
        ["KeyHandle"] = "key_handle",
        ["SectionHandle"] = "section_handle",
        ["DesiredAccess"] = "desired_access",
        ["CreateDisposition"] = "create_disposition",
        ["CreateOptions"] = "create_options",
        ["ValueName"] = "value_name",
        ["Interval"] = "interval",
    };

    /// <summary>DRAKVUF's lines of every input file, one after the other before ordering.</summary>
    private readonly record struct Line(decimal Ts, int File, long No, long Offset, string Text);

    public static LogInput.Result Read(string path, Analyzer sink, bool skipBad, Action<double>? progress) =>
        Read([path], sink, skipBad, progress);

    /// <summary>
    /// Reads DRAKVUF output as DRAKVUF Sandbox writes it: one drakmon.log whose lines are grouped by plugin, or one file
    /// per plugin (syscall.log, procmon.log, apimon.log...), or a folder of them. Every line is read first and the lines
    /// are then taken in <c>TimeStamp</c> order (a line without one keeps its place after the previous line of its file),
    /// so that calls are paired and attributed by PID/TID whatever the order the files were written in. The memory this
    /// takes is that of the lines' text: DRAKVUF's grouped output cannot be ordered before it is all read.
    /// </summary>
    public static LogInput.Result Read(IReadOnlyList<string> inputs, Analyzer sink, bool skipBad, Action<double>? progress)
    {
        var result = new LogInput.Result { Format = InputFormat.Drakvuf };
        var files = inputs.SelectMany(Expand).ToList();
        var lines = new List<Line>();
        for (var f = 0; f < files.Count; f++)
            Collect(files[f], f, lines, skipBad, result, progress is null ? null : x => progress((f + x) / files.Count * 0.5));
        lines.Sort((x, y) =>
        {
            var c = x.Ts.CompareTo(y.Ts);
            if (c != 0) return c;
            c = x.File.CompareTo(y.File);
            return c != 0 ? c : x.No.CompareTo(y.No);
        });

        var pairer = new RecordPairer(sink, Analyzer.WantsArguments);
        var record = new SyscallRecord();
        var lastTid = new Dictionary<(ulong Pid, long Cpu), ulong>();
        long no = 0, done = 0;
        foreach (var line in lines)
        {
            if (progress is not null && (++done & 0x3fff) == 0) progress(0.5 + 0.5 * done / lines.Count);
            using var doc = JsonDocument.Parse(line.Text);
            var o = doc.RootElement;
            try
            {
                var plugin = ImportedFields.Text(o, "Plugin", "$");
                switch (plugin)
                {
                    case "syscall" or "sysret":
                        ReadCall(o, plugin, record, lastTid, no + 1);
                        no++;
                        pairer.Add(record);
                        break;
                    case "procmon":
                        Procmon(o, sink, ++no);
                        break;
                    case "inject":
                        Inject(o, sink, ++no, result);
                        break;
                    default:
                        if (DrakvufPlugins.ToCall(plugin, o, no + 1) is { } e)
                        {
                            no++;
                            sink.OnEvent(e);
                        }
                        else result.Skipped++; // other plugins and events: not calls
                        break;
                }
                result.Records++;
            }
            catch (BadFieldException ex)
            {
                ImportedFields.Reject(files[line.File], line.No, line.Offset, ex.Message, skipBad, result);
            }
        }
        pairer.Finish();
        progress?.Invoke(1);
        return result;
    }

    /// <summary>A folder stands for the DRAKVUF files in it (*.log, *.log.gz, *.jsonl, *.json), in name order.</summary>
    private static IEnumerable<string> Expand(string path)
    {
        if (!Directory.Exists(path)) return [path];
        var files = Directory.EnumerateFiles(path)
            .Where(f => f.EndsWith(".log", StringComparison.Ordinal) || f.EndsWith(".log.gz", StringComparison.Ordinal)
                || f.EndsWith(".jsonl", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? files
            : throw new LogFormatException(new LogFormatError(path, 0, 0, "a folder with no DRAKVUF files (*.log, *.log.gz, *.jsonl)"));
    }

    private static void Collect(string path, int fileIndex, List<Line> into, bool skipBad, LogInput.Result result, Action<double>? progress)
    {
        var stream = LogInput.Open(path, out var file);
        using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: false));
        long line = 0, offset = 0;
        var ts = 0m;
        string? text;
        try
        {
            while ((text = reader.ReadLine()) is not null)
            {
                line++;
                var lineOffset = offset;
                offset += Encoding.UTF8.GetByteCount(text) + 1;
                if (progress is not null && (line & 0x3fff) == 0 && file is { Length: > 0 }) progress((double)file.Position / file.Length);
                var trimmed = text.AsSpan().Trim();
                if (trimmed.Length == 0) continue;
                if (trimmed[0] != '{')
                {
                    ImportedFields.Reject(path, line, lineOffset, "not a JSON object (DRAKVUF's banner or garbage)", skipBad, result);
                    continue;
                }
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    var o = doc.RootElement;
                    if (o.ValueKind != JsonValueKind.Object)
                    {
                        ImportedFields.Reject(path, line, lineOffset, "not a JSON object", skipBad, result);
                        continue;
                    }
                    if (ImportedFields.Text(o, "TimeStamp", "$") is { } t)
                        ts = decimal.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
                            : throw BadFieldException.WrongType("$.TimeStamp", "seconds since the epoch", o.GetProperty("TimeStamp"));
                }
                catch (JsonException ex)
                {
                    ImportedFields.Reject(path, line, lineOffset + (ex.BytePositionInLine ?? 0),
                        $"malformed JSON: {ex.Message.Split(" LineNumber:")[0]}", skipBad, result);
                    continue;
                }
                catch (BadFieldException ex)
                {
                    ImportedFields.Reject(path, line, lineOffset, ex.Message, skipBad, result);
                    continue;
                }
                into.Add(new Line(ts, fileIndex, line, lineOffset, text));
            }
        }
        catch (InvalidDataException ex)
        {
            throw new LogFormatException(new LogFormatError(path, line, offset, $"damaged compressed data: {ex.Message}"), ex);
        }
    }

    /// <summary>DRAKVUF's <c>inject</c> plugin started the sample: its <c>InjectedPid</c> is the sample.</summary>
    private static void Inject(JsonElement o, Analyzer sink, long no, LogInput.Result result)
    {
        if (ImportedFields.Id(o, "InjectedPid", "$") is not { } pid || pid == 0) return;
        result.SuggestedSample ??= "0x" + pid.ToString("x", CultureInfo.InvariantCulture);
        var image = ImportedFields.Text(o, "ProcessName", "$");
        var args = ImportedFields.Text(o, "Arguments", "$");
        var cmd = image is null ? null : string.IsNullOrWhiteSpace(args) ? image : $"\"{image}\" {args}";
        sink.OnProcessFact(new ProcessFact(pid, null, image is null ? "" : Paths.BaseName(image), image, cmd, -1,
            Ts(ImportedFields.Text(o, "TimeStamp", "$"))));
    }

    /// <summary>A syscall (ENTER) or sysret (EXIT) line as a record; its PID and, for a syscall, its Method must be there.</summary>
    private static void ReadCall(JsonElement o, string plugin, SyscallRecord record, Dictionary<(ulong Pid, long Cpu), ulong> lastTid, long no)
    {
        record.Reset();
        record.No = no;
        record.LogType = plugin == "syscall" ? LogType.Enter : LogType.Exit;
        record.Pid = ImportedFields.Required(ImportedFields.Id(o, "PID", "$"), "$.PID", "the calling process");
        var cpu = ImportedFields.Integer(o, "vCPU", "$") ?? 0;
        if (cpu is < 0 or > int.MaxValue) throw BadFieldException.WrongType("$.vCPU", "a vCPU number", o.GetProperty("vCPU"));
        record.Tid = ImportedFields.Id(o, "TID", "$") ?? lastTid.GetValueOrDefault((record.Pid, cpu), record.Pid);
        if (plugin == "syscall") lastTid[(record.Pid, cpu)] = record.Tid;
        record.ParentPid = ImportedFields.Id(o, "PPID", "$");
        record.CpuId = (int)cpu;
        record.ProcName = Paths.BaseName(ImportedFields.Text(o, "ProcessName", "$") ?? "");
        var method = ImportedFields.Text(o, "Method", "$");
        record.Name = plugin == "syscall" ? ImportedFields.Required(method, "$.Method", "the call's name") : method ?? "unknown";
        record.SysNo = (ulong)(ImportedFields.Integer(o, "Syscall", "$") ?? 0);
        record.TimestampNs = Ts(ImportedFields.Text(o, "TimeStamp", "$"));
        if (plugin == "sysret") record.RetVal = Paths.Hex(ImportedFields.Text(o, "Ret", "$")) ?? 0;
        else MapArguments(o, record);
    }

    private static void MapArguments(JsonElement o, SyscallRecord r)
    {
        var info = r.AdditionalInfo;
        var isKey = r.Name.Contains("Key", StringComparison.Ordinal);
        foreach (var p in o.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String) continue;
            var v = p.Value.GetString()!;
            if (p.Name == "ObjectAttributes" && !v.StartsWith("0x", StringComparison.Ordinal))
                info.Set(isKey ? "key_name" : r.Name.Contains("Mutant", StringComparison.Ordinal) ? "mutant_name" : "file_name", "0\\" + v);
            else if (ArgNames.TryGetValue(p.Name, out var mapped))
                info.Set(mapped, mapped is "path" or "old_path" or "new_path" or "value_name" ? v : Hex(v));
        }
        if (r.Name is "execve" && info["path"] is { } exe) info.Set("command_line", exe);
    }

    private static string Hex(string v)
    {
        var t = v.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? v[2..] : v;
        return ulong.TryParse(t, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var n) ? n.ToString("x", CultureInfo.InvariantCulture) : v;
    }

    private static void Procmon(JsonElement o, Analyzer sink, long no)
    {
        var pid = (ulong)Num(o, "PID");
        var ts = Ts(Str(o, "TimeStamp"));
        if (Str(o, "RunningProcess") is { } running)
        {
            sink.OnProcessFact(new ProcessFact(pid, o.TryGetProperty("PPID", out _) ? (ulong)Num(o, "PPID") : null,
                Paths.BaseName(running), null, null, no, ts));
            return;
        }
        var method = Str(o, "Method") ?? "";
        if (!method.Contains("CreateUserProcess", StringComparison.Ordinal) && !method.Contains("CreateProcess", StringComparison.Ordinal)) return;
        var newPid = o.TryGetProperty("NewPid", out _) ? Num(o, "NewPid") : Num(o, "NewProcessId");
        if (newPid == 0) return;
        var e = new CallEvent
        {
            No = no, ExitNo = no, Pid = pid, Tid = (ulong)Num(o, "TID"), ProcName = Paths.BaseName(Str(o, "ProcessName") ?? ""),
            Name = "NtCreateUserProcess", HasReturn = true, RetVal = Paths.Hex(Str(o, "Status")) ?? 0, TimestampNs = ts,
            ParentPid = o.TryGetProperty("PPID", out _) ? (ulong)Num(o, "PPID") : null,
        };
        e.Info.Set("new_pid", ((ulong)newPid).ToString("x", CultureInfo.InvariantCulture));
        if ((Str(o, "ImagePathName") ?? Str(o, "ImagePath")) is { } image) e.Info.Set("image_name", image);
        if (Str(o, "CommandLine") is { } cmd) e.Info.Set("command_line", cmd);
        sink.OnEvent(e);
    }

    internal static long? Ts(string? s) =>
        decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (long)(d * 1_000_000_000m) : null;

    // every field read goes through the typed reads: a PID of "abc" is an error naming it, never a silent 0
    private static long Num(JsonElement o, string name) => ImportedFields.Integer(o, name, "$") ?? 0;

    private static string? Str(JsonElement o, string name) => ImportedFields.Text(o, name, "$");
}
