using Alkanet.Core.Records;
using Alkanet.Introspection.Linux;
using Alkanet.Introspection.TestKit;

namespace Alkanet.Introspection.Tests.Linux;

/// <summary>The bytes of writes captured at ENTER (<see cref="LinuxSyscallDecoder.CaptureWrites"/>): the caller's
/// buffer as <c>data</c> (base64), bounded per call, the iovecs' bytes in order, and an unreadable buffer as the
/// unreadable value at its address; nothing at all when capture is off.</summary>
public sealed class LinuxWriteCaptureTests
{
    private const ulong Task = SyntheticLinuxGuest.Task1, Buf = 0x500000, Iov = 0x403000, Unmapped = 0x7000_0000;
    private static readonly LinuxProfile Profile = SyntheticLinuxGuest.Profile();

    private static SyntheticLinuxGuest Guest(byte[] bytes)
    {
        var g = new SyntheticLinuxGuest();
        g.Task(Task, 0x60, 0x60, "t");
        LinuxCallSpecTests.OpenFd(g, 3, "payload");
        g.Write(Buf, bytes);
        return g;
    }

    private static AdditionalInfo Decode(string name, ulong[] args, SyntheticLinuxGuest g, bool capture = true, int perCall = 1 << 20,
        bool inScope = true)
    {
        var decoder = new LinuxSyscallDecoder(new LinuxTaskReader(Profile), Profile) { CaptureWrites = capture, CaptureCallBytes = perCall };
        var info = new AdditionalInfo();
        decoder.DecodeEnter(name, args, g, Task, info, inScope: inScope);
        return info;
    }

    private static byte[] Bytes(int n) => [.. Enumerable.Range(0, n).Select(i => (byte)(i * 7 + 1))];

    [Theory]
    [InlineData("write")]
    [InlineData("pwrite64")]
    public void A_write_carries_its_buffer(string call)
    {
        var bytes = Bytes(46);
        var info = Decode(call, [3, Buf, 46, 0x200], Guest(bytes));
        Convert.FromBase64String(info["data"]!).ShouldBe(bytes);
        info["fd_path"].ShouldBe("/tmp/payload");
        info["offset"].ShouldBe(call == "pwrite64" ? "200" : null);
    }

    [Fact]
    public void A_long_write_is_captured_up_to_the_per_call_cap()
    {
        var bytes = Bytes(1000);
        var info = Decode("write", [3, Buf, 1000], Guest(bytes), perCall: 384);
        Convert.FromBase64String(info["data"]!).ShouldBe(bytes[..384]);
        info["size"].ShouldBe("3e8");
        info.TryGet("data_unread", out _).ShouldBeFalse("the cap, not an unreadable page, ended it");
    }

    [Fact]
    public void A_write_of_many_pages_is_captured_whole_by_default()
    {
        var bytes = Bytes(300_000);
        var info = Decode("write", [3, Buf, 300_000], Guest(bytes));
        Convert.FromBase64String(info["data"]!).ShouldBe(bytes);
    }

    [Fact]
    public void A_buffer_running_into_an_unmapped_page_keeps_its_readable_part_and_says_where_it_stopped()
    {
        var g = Guest(Bytes(0x1000 - 0x10));
        var info = Decode("write", [3, Buf + 0x10, 0x2000], g); // 0xff0 bytes mapped after Buf+0x10, then nothing
        Convert.FromBase64String(info["data"]!).Length.ShouldBe(0xff0);
        info["data_unread"].ShouldBe((Buf + 0x1000).ToString("x"));
    }

    [Fact]
    public void A_caller_out_of_the_capture_scope_pays_no_read() =>
        Decode("write", [3, Buf, 46], Guest(Bytes(46)), inScope: false).TryGet("data", out _).ShouldBeFalse();

    [Fact]
    public void The_scope_follows_the_samples_exec_its_children_and_its_injection_targets_until_exit()
    {
        var scope = new LinuxCaptureScope("dropper-with-a-long-name");
        scope.SampleComm.ShouldBe("dropper-with-a-");
        scope.OnExec(0x50, "sh");
        scope.Contains(0x50).ShouldBeFalse();
        scope.OnExec(0x51, "dropper-with-a-");
        scope.OnForkChild(0x52, parentTgid: 0x51);
        scope.OnForkChild(0x53, parentTgid: 0x50);
        scope.OnInject(0x52, targetPid: 0x60);
        scope.OnInject(0x50, targetPid: 0x61);
        new ulong[] { 0x51, 0x52, 0x60 }.ShouldAllBe(t => scope.Contains(t));
        new ulong[] { 0x50, 0x53, 0x61 }.ShouldAllBe(t => !scope.Contains(t));
        scope.OnExit(0x52);
        scope.Contains(0x52).ShouldBeFalse();
    }

    [Fact]
    public void Capture_off_adds_nothing() => Decode("write", [3, Buf, 46], Guest(Bytes(46)), capture: false).TryGet("data", out _).ShouldBeFalse();

    [Fact]
    public void An_unreadable_buffer_is_the_unreadable_value_at_its_address()
    {
        Decode("write", [3, Unmapped, 46], Guest(Bytes(4))).TryGet("data", out var v).ShouldBeTrue();
        v.IsUnreadable.ShouldBeTrue();
        v.Address.ShouldBe(Unmapped);
    }

    [Fact]
    public void Writev_captures_the_iovecs_in_order()
    {
        var bytes = Bytes(0x40);
        var g = Guest(bytes);
        g.U64(Iov, Buf + 0x20); g.U64(Iov + 8, 8); g.U64(Iov + 16, Buf); g.U64(Iov + 24, 0x10);
        var info = Decode("writev", [3, Iov, 2], g);
        Convert.FromBase64String(info["data"]!).ShouldBe([.. bytes[0x20..0x28], .. bytes[..0x10]]);
    }

    [Fact]
    public void Writev_stops_at_an_unreadable_iovec_buffer()
    {
        var bytes = Bytes(0x10);
        var g = Guest(bytes);
        g.U64(Iov, Buf); g.U64(Iov + 8, 0x10); g.U64(Iov + 16, Unmapped); g.U64(Iov + 24, 0x10);
        Convert.FromBase64String(Decode("writev", [3, Iov, 2], g)["data"]!).ShouldBe(bytes);
    }
}
