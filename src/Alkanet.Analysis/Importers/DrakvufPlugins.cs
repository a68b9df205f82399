using System.Globalization;
using System.Text.Json;
using Alkanet.Analysis.Events;
using Alkanet.Analysis.Model;

namespace Alkanet.Analysis.Importers;

/// <summary>
/// DRAKVUF plugins other than syscall/sysret/procmon/inject, as calls in the shared vocabulary: <c>apimon</c>'s
/// <c>api_called</c> lines mapped like CAPE's API calls (WriteProcessMemory → NtWriteVirtualMemory...), <c>filetracer</c>
/// (files by name), <c>regmon</c> (keys and values), <c>socketmon</c> (connections) and <c>memdump</c> (writes into
/// another process). Field names are those the plugins print (drakvuf/src/plugins/*/…: FileName, Key, ValueName, Value,
/// RemoteIp, RemotePort, TargetPID...); a line without what a call needs is not a call.
/// </summary>
internal static class DrakvufPlugins
{
    public static CallEvent? ToCall(string? plugin, JsonElement o, long no) => plugin switch
    {
        "apimon" => Apimon(o, no),
        "filetracer" => Text(o, "FileName") is { Length: > 0 } file ? Named(o, no, NativeMethod(o), ("object_name", file)) : null,
        "regmon" => Text(o, "Key") is { Length: > 0 } key
            ? Named(o, no, NativeMethod(o), ("object_name", key), ("value_name", Text(o, "ValueName")), ("data", Text(o, "Value")))
            : null,
        "socketmon" => Text(o, "RemoteIp") is { Length: > 0 } ip
            ? Named(o, no, "NtDeviceIoControlFile", ("remote_address", Text(o, "RemotePort") is { } port ? $"{ip}:{port}" : ip))
            : null,
        "memdump" => ImportedFields.Id(o, "TargetPID", "$") is { } target && (Text(o, "Method") ?? "").Contains("Write", StringComparison.Ordinal)
            ? Named(o, no, "NtWriteVirtualMemory", ("target_pid", target.ToString("x", CultureInfo.InvariantCulture)))
            : null,
        _ => null,
    };

    private static string? NativeMethod(JsonElement o) => Text(o, "Method") is { } m && m.StartsWith("Nt", StringComparison.Ordinal) ? m : null;

    /// <summary>An <c>api_called</c> line: its Method named as the native call (or kept), its return value when given.</summary>
    private static CallEvent? Apimon(JsonElement o, long no)
    {
        if (Text(o, "Event") is { } ev && ev != "api_called") return null; // dll_discovered, dll_loaded: not calls
        if (Text(o, "Method") is not { Length: > 0 } api) return null;
        var e = Named(o, no, CapeImporter.NativeName(api) ?? api);
        if (e is not null && Text(o, "ReturnValue") is { } ret && Paths.Hex(ret) is { } r) e.RetVal = r;
        return e;
    }

    private static CallEvent? Named(JsonElement o, long no, string? name, params (string Field, string? Value)[] fields)
    {
        if (name is null) return null;
        var pid = ImportedFields.Required(ImportedFields.Id(o, "PID", "$"), "$.PID", "the calling process");
        var e = new CallEvent
        {
            No = no, ExitNo = no, Pid = pid, Tid = ImportedFields.Id(o, "TID", "$") ?? pid, Name = name, HasReturn = true,
            ProcName = Paths.BaseName(ImportedFields.Text(o, "ProcessName", "$") ?? ""), ParentPid = ImportedFields.Id(o, "PPID", "$"),
            TimestampNs = DrakvufImporter.Ts(ImportedFields.Text(o, "TimeStamp", "$")),
        };
        foreach (var (field, value) in fields)
            if (!string.IsNullOrEmpty(value)) e.Info.Set(field, value);
        return e;
    }

    private static string? Text(JsonElement o, string name) => ImportedFields.Text(o, name, "$");
}
