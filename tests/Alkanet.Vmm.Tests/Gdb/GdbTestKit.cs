using Alkanet.Introspection.Cpu;
using Alkanet.Vmm.Gdb;
using Alkanet.Vmm.Tests.Gdb.Fakes;

namespace Alkanet.Vmm.Tests.Gdb;

/// <summary>Shared setup: a fake stub with a Linux-like kernel layout and a connected client that logs what it sends.</summary>
internal static class GdbTestKit
{
    public const ulong EntrySite = 0xffffffff81003320;
    public const ulong ExitSite = 0xffffffff81146800;
    public const ulong PtRegs = 0xffffc90000013f58;

    public static readonly TimeSpan ShortTimeout = TimeSpan.FromSeconds(2);

    /// <summary>A target whose entry site holds the ftrace NOP and whose exit site does not (a push rbp, say).</summary>
    public static FakeGdbTarget LinuxLikeTarget()
    {
        var target = new FakeGdbTarget();
        target.Memory.Write(EntrySite, [0x0f, 0x1f, 0x44, 0x00, 0x00, 0x55, 0x48, 0x89, 0xe5]);
        target.Memory.Write(ExitSite, [0x55, 0x48, 0x89, 0xe5, 0x41, 0x57]);
        return target;
    }

    public static VcpuState At(ulong rip, ulong rsi = 0, ulong rdi = PtRegs, ulong rax = 0) =>
        new() { Rip = rip, Rsi = rsi, Rdi = rdi, Rax = rax, Cs = 0x10, Cr3 = 0x5000, GsBase = 0xffff888007a00000 };

    public static (GdbClient Client, List<string> Sent) Connect(FakeRspServer server, TimeSpan? timeout = null)
    {
        var client = GdbClient.Connect("127.0.0.1", server.Port, new GdbClientOptions { Timeout = timeout ?? ShortTimeout });
        var sent = new List<string>();
        client.Connection.PacketSent += sent.Add;
        return (client, sent);
    }

    /// <summary>Packets that write guest memory or registers (or change execution state by address).</summary>
    public static bool IsWritePacket(string p) => p.Length > 0 && p[0] is 'M' or 'X' or 'G' or 'P' or 'C' or 'S' or 'k' or 'R' or 'r' or 'Q'
        || p.StartsWith("Z0", StringComparison.Ordinal) || (p.Length > 1 && p[0] is 'c' or 's' && p[1] != ',' && p != "c" && p != "s")
        || p.StartsWith("qRcmd", StringComparison.Ordinal) && !System.Text.Encoding.ASCII.GetString(Convert.FromHexString(p[6..])).StartsWith("info ", StringComparison.Ordinal);
}
