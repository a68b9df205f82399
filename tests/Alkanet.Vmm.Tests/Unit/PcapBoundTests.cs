using System.Buffers.Binary;
using Alkanet.Vmm.Network;

namespace Alkanet.Vmm.Tests.Unit;

public sealed class PcapBoundTests
{
    private static byte[] Pcap(params int[] frameLengths)
    {
        var m = new MemoryStream();
        var h = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0xa1b2c3d4);
        m.Write(h);
        foreach (var len in frameLengths)
        {
            var f = new byte[16 + len];
            BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(8), (uint)len);
            BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(12), (uint)len);
            f.AsSpan(16).Fill(0xab);
            m.Write(f);
        }
        return m.ToArray();
    }

    private static string Write(byte[] b)
    {
        var p = Path.GetTempFileName();
        File.WriteAllBytes(p, b);
        return p;
    }

    [Fact]
    public void Under_the_cap_nothing_is_cut()
    {
        var p = Write(Pcap(60, 1500, 42));
        var r = PcapBound.Apply(p, 1 << 20);
        r.ShouldBe(new PcapBound.Result(3, 24 + 3 * 16 + 60 + 1500 + 42, false, false));
        new FileInfo(p).Length.ShouldBe(r.Bytes);
        File.Delete(p);
    }

    [Fact]
    public void Over_the_cap_the_file_ends_at_the_last_whole_frame_within_it()
    {
        var p = Write(Pcap(60, 1500, 42));
        var r = PcapBound.Apply(p, 24 + 16 + 60 + 16 + 100);
        r.ShouldBe(new PcapBound.Result(1, 24 + 16 + 60, true, false));
        new FileInfo(p).Length.ShouldBe(100);
        PcapBound.Apply(p, 1 << 20).Frames.ShouldBe(1, "what is left is a valid pcap");
        File.Delete(p);
    }

    [Fact]
    public void A_flood_past_the_smallest_limit_is_cut_and_network_json_says_capture_truncated_at_1_MiB()
    {
        // 2,000 full-size frames (about 3 MiB) against --capture-limit 1
        var p = Write(Pcap([.. Enumerable.Repeat(1500, 2000)]));
        var r = PcapBound.Apply(p, 1L << 20);
        r.CapHit.ShouldBeTrue();
        r.Frames.ShouldBe(((1L << 20) - 24) / (16 + 1500));
        var eve = Path.GetTempFileName();
        var json = Path.GetTempFileName();
        var s = EveSummary.Read(eve);
        s.Capture = (r, 1L << 20);
        s.Write(json);
        var text = File.ReadAllText(json);
        text.ShouldContain("\"truncated\": true");
        text.ShouldContain("\"note\": \"capture truncated at 1 MiB\"");
        PcapBound.TruncatedNote(600).ShouldBe("capture truncated at 600 bytes");
        foreach (var f in new[] { p, eve, json }) File.Delete(f);
    }

    [Fact]
    public void A_torn_last_frame_is_cut_and_reported()
    {
        var whole = Pcap(60, 1500);
        var p = Write(whole[..^700]);
        var r = PcapBound.Apply(p, 1 << 20);
        r.ShouldBe(new PcapBound.Result(1, 100, false, true));
        File.Delete(p);
    }

    [Fact]
    public void Not_a_pcap_names_the_file_and_offset()
    {
        var p = Write(new byte[40]);
        Should.Throw<InvalidDataException>(() => PcapBound.Apply(p, 100)).Message.ShouldContain(p + ": offset 0: not a pcap file");
        File.Delete(p);
    }
}
