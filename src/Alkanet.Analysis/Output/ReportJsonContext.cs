using System.Text.Json.Serialization;

namespace Alkanet.Analysis.Output;

/// <summary>The report's JSON metadata, generated at build time: writing a report no longer builds serializers by
/// reflection (and JITs them) on every run (issue 11). <see cref="ReportWriters.Json"/> sets the naming and escaping;
/// other types written with those options (a comparison) still go through reflection.</summary>
[JsonSerializable(typeof(Report))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
