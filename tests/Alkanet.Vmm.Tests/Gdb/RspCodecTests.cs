using System.Text;
using Alkanet.Vmm.Gdb;

namespace Alkanet.Vmm.Tests.Gdb;

public sealed class RspCodecTests
{
    [Fact]
    public void Checksum_is_the_byte_sum_modulo_256() =>
        RspCodec.Checksum("qSupported"u8).ShouldBe((byte)0x37);

    [Fact]
    public void Escaped_bytes_round_trip()
    {
        var payload = "a$b#c}d*e"u8.ToArray();
        var escaped = RspCodec.EscapeForFrame(payload);
        Encoding.ASCII.GetString(escaped).ShouldBe("a}\u0004b}\u0003c}]d}\ne");
        RspCodec.DecodeBody(escaped).ShouldBe(payload);
    }

    [Fact]
    public void Run_length_encoding_repeats_the_previous_byte()
    {
        // "0* " = '0' plus (' ' - 29) = 3 more copies.
        Encoding.ASCII.GetString(RspCodec.DecodeBody("0* 1"u8)).ShouldBe("00001");
        RspCodec.DecodeBody("x*~"u8).Length.ShouldBe(1 + 126 - 29); // the longest run one '*' can say
    }

    [Theory]
    [InlineData("*5")]
    [InlineData("ab}")]
    [InlineData("a*")]
    public void Malformed_bodies_are_protocol_errors(string body) =>
        Should.Throw<GdbProtocolException>(() => RspCodec.DecodeBody(Encoding.ASCII.GetBytes(body)));

    [Fact]
    public void Random_bodies_decode_or_fail_with_a_protocol_error_only()
    {
        var random = new Random(4);
        for (var i = 0; i < 20_000; i++)
        {
            var body = new byte[random.Next(0, 64)];
            random.NextBytes(body);
            try
            {
                RspCodec.DecodeBody(body).Length.ShouldBeLessThanOrEqualTo(body.Length * 98);
            }
            catch (GdbProtocolException)
            {
            }
        }
    }

    [Fact]
    public void Hex_decoding_flags_unavailable_registers_and_rejects_junk()
    {
        var dest = new byte[4];
        RspCodec.DecodeHex("01ffxx10"u8, dest, out var unavailable).ShouldBe(4);
        unavailable.ShouldBeTrue();
        dest.ShouldBe(new byte[] { 1, 0xff, 0, 0x10 });
        RspCodec.DecodeHex("0g"u8, dest, out _).ShouldBe(-1);
        RspCodec.DecodeHex("012"u8, dest, out _).ShouldBe(-1);
        RspCodec.ToTargetOrderHex(0xffffffff81003325, 8).ShouldBe("25330081ffffffff");
        RspCodec.TryParseHexNumber("ffffffff81003320", out var v).ShouldBeTrue();
        v.ShouldBe(0xffffffff81003320);
        RspCodec.TryParseHexNumber("10000000000000000", out _).ShouldBeFalse();
        RspCodec.TryParseHexNumber("", out _).ShouldBeFalse();
    }
}
