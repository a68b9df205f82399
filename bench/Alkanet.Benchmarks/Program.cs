using Alkanet.Benchmarks.Core;
using BenchmarkDotNet.Running;

// Micro-benchmarks: dotnet run -c Release --project bench/Alkanet.Benchmarks -- --filter '*JsonLines*'
// Test data for the end-to-end scripts: dotnet run -c Release --project bench/Alkanet.Benchmarks -- gen-log FILE COUNT
if (args.Length > 0 && args[0] == "gen-log") return LogGenerator.Run(args);
if (args.Length > 0 && args[0] == "windows-round-reads") return Alkanet.Benchmarks.Windows.WindowsRoundBenchmarks.PrintReads();
if (args.Length > 0 && args[0] == "gen-windows-disk") return Alkanet.Benchmarks.Windows.SyntheticDiskGenerator.Run(args);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
