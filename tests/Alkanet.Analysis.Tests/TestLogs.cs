using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Tests;

internal static class TestLogs
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>A real CAPE report of the project's shared reference material: shared/ beside the repository (as CI
    /// lays it out), else the development machines' /work/shared.</summary>
    public static string Cape(string prefix)
    {
        var beside = Path.Combine(Path.GetDirectoryName(Corpus())!, "..", "..", "shared", "reference", "behaviour", "cape");
        var dir = Directory.Exists(beside) ? beside : "/work/shared/reference/behaviour/cape";
        return Directory.GetFiles(dir, prefix + "*.json.gz").Single();
    }

    /// <summary>A file of the validation corpus (tests/corpus: public sandbox outputs with their source notes).</summary>
    public static string Corpus(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alkanet.slnx"))) dir = dir.Parent;
        return Path.Combine([dir?.FullName ?? throw new DirectoryNotFoundException("repository root (Alkanet.slnx)"), "tests", "corpus", .. parts]);
    }

    public static Analyzer Analyze(string path, InputFormat format = InputFormat.Auto) => Analyze(path, new AnalyzerOptions(), format);

    public static Analyzer Analyze(string path, AnalyzerOptions options, InputFormat format = InputFormat.Auto)
    {
        var a = new Analyzer(options);
        LogInput.Read(path, format, a);
        return a;
    }

    public static Report Report(string path, string sample, BaselineSet? baseline = null)
    {
        var a = Analyze(path);
        var scope = SampleScope.Resolve(a, sample);
        return ReportBuilder.Build(a, scope, new ReportOptions { Baseline = baseline }, new ReportInput { Files = [path] });
    }
}
