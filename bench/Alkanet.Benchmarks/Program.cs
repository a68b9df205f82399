using BenchmarkDotNet.Running;

// Run one group with: dotnet run -c Release --project bench/Alkanet.Benchmarks -- --filter '*JsonLines*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
