using Iced.Intel;

namespace Alkanet.Introspection.TestKit.Boot;

/// <summary>Assembles x86-64 code (Iced's Assembler) at a given virtual address and writes it into an address space,
/// refusing to overlap anything written before (so code placed at the ISF's symbol addresses cannot silently
/// clobber another routine or a data symbol).</summary>
internal sealed class CodeEmitter(PageTableBuilder space)
{
    private readonly List<(ulong Start, ulong End, string What)> _claims = [];

    public void Claim(ulong va, ulong length, string what)
    {
        foreach (var (s, e, w) in _claims)
            if (va < e && va + length > s) throw new InvalidOperationException($"synthetic boot layout: {what} at {va:x}+{length:x} overlaps {w} at {s:x}..{e:x}");
        _claims.Add((va, va + length, what));
    }

    /// <summary>Whether nothing claimed so far overlaps <paramref name="va"/>..+<paramref name="length"/>.</summary>
    public bool IsFree(ulong va, ulong length) => !_claims.Exists(c => va < c.End && va + length > c.Start);

    /// <summary>Assembles <paramref name="body"/> at <paramref name="va"/>, writes it; returns its bytes.</summary>
    public byte[] Emit(ulong va, string what, Action<Assembler> body)
    {
        var bytes = Assemble(va, body);
        Claim(va, (ulong)bytes.Length, what);
        space.Write(va, bytes);
        return bytes;
    }

    public static byte[] Assemble(ulong va, Action<Assembler> body)
    {
        var a = new Assembler(64);
        body(a);
        using var ms = new MemoryStream();
        a.Assemble(new StreamCodeWriter(ms), va);
        return ms.ToArray();
    }

    /// <summary>Disassembly for diagnostics (Intel syntax, one instruction a line).</summary>
    public static string Disassemble(ReadOnlySpan<byte> code, ulong va)
    {
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(code.ToArray()), va);
        var formatter = new IntelFormatter();
        var output = new StringOutput();
        var text = new System.Text.StringBuilder();
        while (decoder.IP < va + (ulong)code.Length)
        {
            var ins = decoder.Decode();
            formatter.Format(ins, output);
            text.Append(ins.IP.ToString("x", System.Globalization.CultureInfo.InvariantCulture)).Append("  ").AppendLine(output.ToStringAndReset());
        }
        return text.ToString();
    }
}
