using System.Buffers.Binary;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.TestKit.Boot;

namespace Alkanet.SyntheticBoot.Tests;

/// <summary>The pieces the loader and the program are made of: the frame runs the loader copies, the kit's physical
/// window, the ntdll-style stubs.</summary>
public class LoaderPiecesTests
{
    [Fact]
    public void Contiguous_frames_merge_into_one_run_and_a_gap_starts_another_then_a_zero_terminator()
    {
        byte[] F(byte b) => Enumerable.Repeat(b, 4096).ToArray();
        var runs = EfiLoader.FrameRuns([(0x5000, F(2)), (0x4000, F(1)), (0x9000, F(3))]);
        var s = runs.AsSpan();
        BinaryPrimitives.ReadUInt64LittleEndian(s).ShouldBe(0x4000UL);
        BinaryPrimitives.ReadUInt64LittleEndian(s[8..]).ShouldBe(0x2000UL);
        s[16].ShouldBe((byte)1);
        s[16 + 4096].ShouldBe((byte)2);
        var second = s[(16 + 0x2000)..];
        BinaryPrimitives.ReadUInt64LittleEndian(second).ShouldBe(0x9000UL);
        BinaryPrimitives.ReadUInt64LittleEndian(second[8..]).ShouldBe(0x1000UL);
        var end = second[(16 + 0x1000)..];
        end.Length.ShouldBe(16);
        end.ToArray().ShouldAllBe(b => b == 0);
    }

    [Fact]
    public void The_kit_allocates_from_the_first_frame_it_is_given_and_lists_written_frames_in_order()
    {
        var m = new SparsePhysicalMemory(1UL << 30, 64UL << 20);
        m.FirstFrame.ShouldBe(64UL << 20);
        var a = m.AllocateFrames(2);
        a.ShouldBe(64UL << 20);
        m.NextFree.ShouldBe((64UL << 20) + 0x2000);
        m.Write(a + 0x1000, [7]);
        m.Write(a, [5]);
        m.WrittenFrames().Select(f => f.Address).ShouldBe([a, a + 0x1000]);
        new SparsePhysicalMemory(1UL << 30).AllocateFrame().ShouldBe(0x10_0000UL); // the default stays 1 MiB
    }

    [Fact]
    public void Each_call_goes_through_an_ntdll_style_stub_with_its_1909_number()
    {
        var d = BootDisks.Build();
        var code = new byte[0x4000];
        d.Guest.MemoryOf(d.Sample).Read(d.SampleEntry, code).ShouldBe(code.Length);
        var text = CodeEmitter.Disassemble(code.AsSpan(0, ProgramLength(code)), d.SampleEntry);
        var lines = text.Split('\n').Select(l => l.IndexOf("  ", StringComparison.Ordinal) is var i and >= 0 ? l[(i + 2)..].TrimEnd() : l).ToList(); // without the address column
        var distinct = d.ExpectedCalls.DistinctBy(c => c.Name).ToList();
        foreach (var c in distinct)
        {
            var at = lines.IndexOf($"mov eax,{IcedNumber(c.Number)}");
            at.ShouldBeGreaterThan(0, $"{c.Name}: no stub loads 0x{c.Number:x}");
            lines[at - 1].ShouldBe("mov r10,rcx");
            lines[at + 1].ShouldBe("syscall");
            lines[at + 2].ShouldBe("ret");
        }
        lines.Count(l => l == "syscall").ShouldBe(distinct.Count);
    }

    /// <summary>Iced's default: small numbers in decimal, others hex with an h suffix (and a leading 0 before a letter).</summary>
    private static string IcedNumber(uint n)
    {
        if (n <= 9) return n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var hex = n.ToString("X", System.Globalization.CultureInfo.InvariantCulture);
        return (char.IsLetter(hex[0]) ? "0" : "") + hex + "h";
    }

    /// <summary>The program ends at its last stub's ret; zeros (add [rax],al) follow.</summary>
    private static int ProgramLength(byte[] code)
    {
        var n = code.Length;
        while (n > 0 && code[n - 1] == 0) n--;
        return n;
    }
}
