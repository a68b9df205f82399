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
                if (trimmed[0] != '{') { ImportedFields.Reject(path, line, lineOffset, "not a JSON object (DRAKVUF's banner or garbage)", skipBad, result); continue; }
                JsonDocument doc;
                try
                {
                    doc = JsonDocument.Parse(text);
                }
                catch (JsonException ex)
                {
                    ImportedFields.Reject(path, line, lineOffset + (ex.BytePositionInLine ?? 0), $"malformed JSON: {ex.Message.Split(" LineNumber:")[0]}", skipBad, result);
                    continue;
                }
                using (doc)
                {
                    var o = doc.RootElement;
                    if (o.ValueKind != JsonValueKind.Object) { ImportedFields.Reject(path, line, lineOffset, "not a JSON object", skipBad, result); continue; }
                    string? plugin;
                    try
                    {
                        plugin = ImportedFields.Text(o, "Plugin", "$");
                        switch (plugin)
                        {
                            case "syscall" or "sysret":
                                ReadCall(o, plugin, record, lastTid, no + 1);
                                no++;
                                pairer.Add(record);
                                break;
                            case "procmon":
                                Procmon(o, sink, no + 1);
                                no++;
                                break;
                            default:
                                result.Skipped++; // other plugins: not system calls
                                break;
                        }
                        result.Records++;
                    }
                    catch (BadFieldException ex)
                    {
                        ImportedFields.Reject(path, line, lineOffset, ex.Message, skipBad, result);
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

    // every field read goes through the typed reads: a PID of "abc" is an error naming it, never a silent 0
    private static long Num(JsonElement o, string name) => ImportedFields.Integer(o, name, "$") ?? 0;

    private static string? Str(JsonElement o, string name) => ImportedFields.Text(o, name, "$");
}
