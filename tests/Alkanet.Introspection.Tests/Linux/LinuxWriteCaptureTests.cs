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

    private static AdditionalInfo Decode(string name, ulong[] args, SyntheticLinuxGuest g, bool capture = true)
    {
        var decoder = new LinuxSyscallDecoder(new LinuxTaskReader(Profile), Profile) { CaptureWrites = capture };
        var info = new AdditionalInfo();
        decoder.DecodeEnter(name, args, g, Task, info);
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
    public void A_long_write_is_captured_up_to_the_per_call_bound()
    {
        var bytes = Bytes(1000);
        var info = Decode("write", [3, Buf, 1000], Guest(bytes));
        Convert.FromBase64String(info["data"]!).ShouldBe(bytes[..384]); // LinuxReadBounds.WriteCaptureBytes
        info["size"].ShouldBe("3e8");
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
