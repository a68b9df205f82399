using System.Text;
using Alkanet.Introspection.Cpu;
using Alkanet.Vmm.Gdb;
using BenchmarkDotNet.Attributes;

namespace Alkanet.Benchmarks.Gdb;

/// <summary>
/// The host CPU work of one gdbstub hit, without the network: unframing and decoding a QEMU-sized 'g' reply into a
/// VcpuState, and a 168-byte 'm' reply (the pt_regs read). Run:
/// dotnet run -c Release --project bench/Alkanet.Benchmarks -- --filter '*GdbReplyDecode*' --job short
/// </summary>
[MemoryDiagnoser]
public class GdbReplyDecodeBenchmarks
{
    private GdbRegisterLayout _layout = null!;
    private byte[] _gReply = null!;
    private byte[] _mReply = null!;
    private byte[] _destination = null!;

    [GlobalSetup]
    public void Setup()
    {
        // QEMU's x86-64 core layout: 16 GPRs, rip, eflags, 6 segments, fs/gs/k_gs base, cr0/2/3/4/8, efer,
        // then x87 (8 x 80 bits + 8 x 32), 16 xmm (128 bits) and mxcsr: a 'g' reply of 560 bytes.
        var regs = new StringBuilder("<feature>");
        foreach (var r in "rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15 rip".Split(' ')) regs.Append($"<reg name=\"{r}\" bitsize=\"64\"/>");
        foreach (var r in "eflags cs ss ds es fs gs".Split(' ')) regs.Append($"<reg name=\"{r}\" bitsize=\"32\"/>");
        foreach (var r in "fs_base gs_base k_gs_base cr0 cr2 cr3 cr4 cr8 efer".Split(' ')) regs.Append($"<reg name=\"{r}\" bitsize=\"64\"/>");
        for (var i = 0; i < 8; i++) regs.Append($"<reg name=\"st{i}\" bitsize=\"80\"/>");
        foreach (var r in "fctrl fstat ftag fiseg fioff foseg fooff fop".Split(' ')) regs.Append($"<reg name=\"{r}\" bitsize=\"32\"/>");
        for (var i = 0; i < 16; i++) regs.Append($"<reg name=\"xmm{i}\" bitsize=\"128\"/>");
        regs.Append("<reg name=\"mxcsr\" bitsize=\"32\"/></feature>");
        _layout = GdbRegisterLayout.Parse(regs.ToString(), _ => "");
        var random = new Random(1);
        var g = new byte[_layout.GBytes];
        random.NextBytes(g);
        _gReply = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(g));
        var m = new byte[168];
        random.NextBytes(m);
        _mReply = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(m));
        _destination = new byte[168];
    }

    [Benchmark]
    public ulong RegistersFromG()
    {
        var body = RspCodec.DecodeBody(_gReply);
        var bytes = new byte[body.Length / 2];
        RspCodec.DecodeHex(body, bytes, out _);
        VcpuState s = GdbClient.MapRegisters(_layout, bytes, 1);
        return s.Rip ^ s.Cr3;
    }

    [Benchmark]
    public int PtRegsFromM()
    {
        var body = RspCodec.DecodeBody(_mReply);
        return RspCodec.DecodeHex(body, _destination, out _);
    }
}
