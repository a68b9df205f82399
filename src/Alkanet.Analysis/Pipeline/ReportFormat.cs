using Alkanet.Analysis.Compare;
using Alkanet.Analysis.Exports;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Pipeline;

/// <summary>The shapes a report is written in (the names are <c>alkanet report --format</c>'s).</summary>
public enum ReportFormat { Md, Json, Html, Vt, Stix, Misp }

/// <summary>Writes a report in a format: the one place that picks the writer.</summary>
public static class ReportFormats
{
    public static string Write(Report report, ReportFormat format) => format switch
    {
        ReportFormat.Md => ReportWriters.ToMarkdown(report),
        ReportFormat.Json => ReportWriters.ToJson(report),
        ReportFormat.Html => HtmlReportWriter.Write(report),
        ReportFormat.Vt => BehaviourSummary.FromReport(report).ToVirusTotalJson(),
        ReportFormat.Stix => StixBundle.Write(report),
        ReportFormat.Misp => MispEvent.Write(report),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
