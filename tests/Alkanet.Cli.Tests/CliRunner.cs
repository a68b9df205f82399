using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Cli.Tests;

/// <summary>Runs the real command line in-process with captured output.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err);

    public static Result Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = AlkanetCli.Run(args, o, e);
        return new Result(code, o.ToString(), e.ToString());
    }
}

public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "alkanet-cli-" + Guid.NewGuid().ToString("n"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Reads a whole JSON-lines log the commands wrote.</summary>
public static class RecordFiles
{
    public static List<SyscallRecord> ReadAll(string file)
    {
        var list = new List<SyscallRecord>();
        using var reader = JsonLinesReader.Open(file);
        var r = new SyscallRecord();
        while (reader.TryRead(r)) list.Add(r.Clone());
        return list;
    }
}
