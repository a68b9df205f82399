using Alkanet.Core.Json;

namespace Alkanet.Benchmarks.Core;

/// <summary>`gen-log FILE COUNT`: writes COUNT figure-2-shaped records for the end-to-end scripts.</summary>
public static class LogGenerator
{
    public static int Run(string[] args)
    {
        if (args.Length != 3 || !long.TryParse(args[2], out var count) || count < 0)
        {
            Console.Error.WriteLine("usage: gen-log FILE COUNT");
            return 2;
        }
        using var w = JsonLinesWriter.Create(args[1]);
        var r = new Alkanet.Core.Records.SyscallRecord();
        for (long i = 0; i < count; i++) w.Write(Figure2Records.Make(i, r));
        return 0;
    }
}
