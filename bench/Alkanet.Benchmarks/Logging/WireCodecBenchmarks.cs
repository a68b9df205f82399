using System.Buffers;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Logging.Wire;
using BenchmarkDotNet.Attributes;

namespace Alkanet.Benchmarks.Logging;

/// <summary>The wire's binary batch codec against the Core JSON codec, per batch of 8192 Windows-like records.
/// Run: dotnet run -c Release --project bench/Alkanet.Benchmarks -- --filter '*WireCodec*'</summary>
[MemoryDiagnoser]
public class WireCodecBenchmarks
{
    private const int N = 8192;
    private readonly List<SyscallRecord> _records = [];
    private readonly List<SyscallRecord> _decoded = [];
    private readonly BatchDecoder _decoder = new();
    private readonly RecordJsonWriter _json = new();
    private readonly ArrayBufferWriter<byte> _jsonOut = new(4 << 20);
    private byte[] _plain = [];
    private byte[] _brotli = [];
    private byte[] _jsonLines = [];

    [GlobalSetup]
    public void Setup()
    {
        string[] procs = ["explorer.exe", "cmd.exe", "sample.exe", "svchost.exe", "powershell.exe"];
        string[] calls = ["NtCreateFile", "NtReadFile", "NtWriteFile", "NtClose", "NtOpenKey", "NtQueryValueKey"];
        for (var no = 0; no < N; no++)
        {
            var r = new SyscallRecord
            {
                No = no, LogType = no % 2 == 0 ? LogType.Enter : LogType.Exit, Pid = (ulong)(0x1000 + no / 64 % 5 * 4),
                ProcName = procs[no / 64 % 5], Name = calls[no / 2 % 6], SysNo = 0x30, TimestampNs = 1_795_000_000_000_000_000 + no * 900L, ParentPid = 4,
            };
            r.Tid = r.Pid + 4;
            if (r.IsEnter) r.AdditionalInfo.Set("FileName", $"\\??\\C:\\Users\\alice\\AppData\\Local\\Temp\\f{no % 1000}.tmp").Set("DesiredAccess", "0x120089");
            else r.AdditionalInfo.Set("FileHandle", $"0x{no % 4096:x}");
            _records.Add(r);
        }
        var batch = EncodeBatch();
        _plain = batch.FrameBody(WireCompression.None);
        _brotli = batch.FrameBody(WireCompression.Brotli);
        _jsonLines = EncodeJson().ToArray();
    }

    [Benchmark]
    public EncodedBatch EncodeBatch()
    {
        var e = new BatchEncoder();
        foreach (var r in _records) e.Add(r);
        return e.Seal();
    }

    [Benchmark]
    public int DecodeBatch() => _decoder.Decode(_plain, _decoded);

    [Benchmark]
    public int DecodeBrotliBatch() => _decoder.Decode(_brotli, _decoded);

    [Benchmark]
    public ReadOnlyMemory<byte> EncodeJson()
    {
        _jsonOut.ResetWrittenCount();
        foreach (var r in _records)
        {
            _json.Write(r, _jsonOut);
            _jsonOut.GetSpan(1)[0] = (byte)'\n';
            _jsonOut.Advance(1);
        }
        return _jsonOut.WrittenMemory;
    }

    [Benchmark]
    public int DecodeJson()
    {
        using var reader = new JsonLinesReader(new MemoryStream(_jsonLines), "bench");
        var r = new SyscallRecord();
        var n = 0;
        while (reader.TryRead(r)) n++;
        return n;
    }
}
