using System.Text;
using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Core.Logs;

/// <summary>The one-line readable form of a record, for terminals: number, cpu, side, pid/tid,
/// process, call(number), arguments, and at EXIT the return value.</summary>
public static class RecordText
{
    public static string Format(SyscallRecord r)
    {
        var sb = new StringBuilder(160);
        sb.Append(r.No).Append(" cpu").Append(r.CpuId).Append(' ').Append(r.LogType.ToText().PadRight(5))
          .Append(' ').Append(r.Pid.ToString("x")).Append('/').Append(r.Tid.ToString("x"))
          .Append(' ').Append(r.ProcName).Append(' ').Append(r.Name).Append('(').Append(r.SysNo.ToString("x")).Append(')');
        foreach (var (key, value) in r.AdditionalInfo)
        {
            sb.Append(' ').Append(key).Append('=');
            var text = RecordJsonWriter.ValueText(value);
            if (value.IsJson) sb.Append(text);
            else if (NeedsQuotes(text)) sb.Append('"').Append(text.Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
            else sb.Append(text);
        }
        if (r.LogType == LogType.Exit) sb.Append(" = ").Append(r.RetVal.ToString("x"));
        return sb.ToString();
    }

    private static bool NeedsQuotes(string s) => s.Length == 0 || s.AsSpan().IndexOfAny(" \"=\t") >= 0;
}
