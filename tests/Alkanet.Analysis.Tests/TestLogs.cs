using Alkanet.Analysis.Importers;
using Alkanet.Analysis.Model;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Tests;

internal static class TestLogs
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string Cape(string prefix) =>
        Directory.GetFiles("/work/shared/reference/behaviour/cape", prefix + "*.json.gz").Single();

    public static Analyzer Analyze(string path, InputFormat format = InputFormat.Auto)
    {
        var a = new Analyzer();
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
