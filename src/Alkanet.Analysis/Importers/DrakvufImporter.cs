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
/// (paired like Alkanet's), <c>procmon</c> lines give process creations and the running-process list. Argument names
/// are mapped to the shared vocabulary where they mean the same thing; other plugins' lines are counted and skipped.
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

    public static LogInput.Result Read(string path, Analyzer sink, bool skipBad, Action<double>? progress)
    {
        var result = new LogInput.Result { Format = InputFormat.Drakvuf };
        var stream = LogInput.Open(path, out var file);
        using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: false));
        var pairer = new RecordPairer(sink, Analyzer.WantsArguments);
        var record = new SyscallRecord();
        var lastTid = new Dictionary<(ulong Pid, long Cpu), ulong>();
        long line = 0, offset = 0, no = 0;
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
                if (trimmed[0] != '{') { Bad(path, line, lineOffset, "not a JSON object (DRAKVUF's banner or garbage)", skipBad, result); continue; }
                JsonDocument doc;
                try
                {
                    doc = JsonDocument.Parse(text);
                }
                catch (JsonException ex)
                {
                    Bad(path, line, lineOffset + (ex.BytePositionInLine ?? 0), $"malformed JSON: {ex.Message.Split(" LineNumber:")[0]}", skipBad, result);
                    continue;
                }
                using (doc)
                {
                    var o = doc.RootElement;
                    if (o.ValueKind != JsonValueKind.Object) { Bad(path, line, lineOffset, "not a JSON object", skipBad, result); continue; }
                    var plugin = Str(o, "Plugin");
                    result.Records++;
                    switch (plugin)
                    {
                        case "syscall" or "sysret":
                            record.Reset();
                            record.No = ++no;
                            record.LogType = plugin == "syscall" ? LogType.Enter : LogType.Exit;
                            record.Pid = (ulong)Num(o, "PID");
                            var cpu = Num(o, "vCPU");
                            if (o.TryGetProperty("TID", out _)) record.Tid = (ulong)Num(o, "TID");
                            else record.Tid = lastTid.GetValueOrDefault((record.Pid, cpu), record.Pid);
                            if (plugin == "syscall") lastTid[(record.Pid, cpu)] = record.Tid;
                            if (o.TryGetProperty("PPID", out _)) record.ParentPid = (ulong)Num(o, "PPID");
                            record.CpuId = (int)cpu;
                            record.ProcName = Paths.BaseName(Str(o, "ProcessName") ?? "");
                            record.Name = Str(o, "Method") ?? "unknown";
                            record.SysNo = (ulong)Num(o, "Syscall");
                            record.TimestampNs = Ts(Str(o, "TimeStamp"));
                            if (plugin == "sysret") record.RetVal = Paths.Hex(Str(o, "Ret")) ?? 0;
                            else MapArguments(o, record);
                            pairer.Add(record);
                            break;
                        case "procmon":
                            Procmon(o, sink, ++no);
                            break;
                        default:
                            result.Skipped++; // other plugins: not system calls
                            break;
                    }
                }
            }
        }
        catch (InvalidDataException ex)
        {
            throw new LogFormatException(new LogFormatError(path, line, offset, $"damaged compressed data: {ex.Message}"), ex);
        }
        pairer.Finish();
        progress?.Invoke(1);
        return result;
    }

    private static void Bad(string path, long line, long offset, string reason, bool skipBad, LogInput.Result result)
    {
        var error = new LogFormatError(path, line, offset, reason);
        if (!skipBad) throw new LogFormatException(error);
        result.Skipped++;
        if (result.SkippedErrors.Count < 20) result.SkippedErrors.Add(error.ToString());
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
            sink.OnProcessFact(new ProcessFact(pid, o.TryGetProperty("PPID", out _) ? (ulong)Num(o, "PPID") : null, Paths.BaseName(running), null, null, no, ts));
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

    private static long? Ts(string? s) =>
        decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (long)(d * 1_000_000_000m) : null;

    private static long Num(JsonElement o, string name)
    {
        if (!o.TryGetProperty(name, out var v)) return 0;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n)) return n;
        if (v.ValueKind == JsonValueKind.String)
        {
            var s = v.GetString()!;
            if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) return (long)(Paths.Hex(s) ?? 0);
            if (long.TryParse(s, CultureInfo.InvariantCulture, out n)) return n;
        }
        return 0;
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;
}
