using System.Text;
using Alkanet.Vmm.Gdb;

namespace Alkanet.Vmm.Tests.Gdb;

public sealed class GdbStopReplyTests
{
    [Fact]
    public void Qemu_stop_replies_name_the_vcpu_thread()
    {
        var stop = GdbStopReply.Parse("T05thread:p01.02;"u8.ToArray());
        stop.IsTrap.ShouldBeTrue();
        stop.Thread.ShouldBe(new GdbThreadId(1, 2));
        stop.Thread!.Value.CpuIndex.ShouldBe(1);
        GdbStopReply.Parse("T02thread:01;"u8.ToArray()).Signal.ShouldBe(GdbStopReply.SigInt);
        GdbStopReply.Parse("W00"u8.ToArray()).Kind.ShouldBe(GdbStopKind.Exited);
        GdbStopReply.Parse("X09"u8.ToArray()).Kind.ShouldBe(GdbStopKind.Terminated);
        GdbStopReply.Parse("S05"u8.ToArray()).Thread.ShouldBeNull();
    }

    [Theory]
    [InlineData("OK")]
    [InlineData("T5")]
    [InlineData("T05thread:pzz.1;")]
    [InlineData("E14")]
    [InlineData("")]
    public void Anything_else_is_a_protocol_error(string text) =>
        Should.Throw<GdbProtocolException>(() => GdbStopReply.Parse(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Thread_ids_print_in_the_wire_form()
    {
        new GdbThreadId(1, 2).ToWire(true).ShouldBe("p1.2");
        new GdbThreadId(1, 0x1a).ToWire(false).ShouldBe("1a");
        GdbThreadId.TryParse("p1.-1", out var all).ShouldBeTrue();
        all.Thread.ShouldBe(-1);
    }
}
