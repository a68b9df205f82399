using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Symbols.Compression;

namespace Alkanet.Introspection.Tests.Symbols;

public class IsfFileTests
{
    internal static readonly Lazy<IsfFile> Nt1909 = new(() => new ProfileStore(Path.Combine(Path.GetTempPath(), "alkanet-no-such-profiles")).LoadDefault());

    [Fact]
    public void The_embedded_1909_table_has_its_pdb_identity_sizes_offsets_and_symbols()
    {
        var isf = Nt1909.Value;
        isf.Pdb!.Guid.ShouldBe("E0093F3AEF15D58168B753C9488A4043");
        isf.Pdb.Age.ShouldBe(1);
        isf.Pdb.Database.ShouldBe("ntkrnlmp.pdb");
        isf.StructSize("_EPROCESS").ShouldBe(2176u);
        isf.OffsetOf("_EPROCESS", "ImageFileName").ShouldBe(0x450u);
        isf.OffsetOf("_ETHREAD", "Cid").ShouldBe(0x648u);
        isf.OffsetOf("_KTHREAD", "ApcState.Process").ShouldBe(152u + 32u); // nested struct path
        isf.SymbolRva("KiSystemCall64").ShouldBe(1910336UL);
        isf.TryGetField("_HANDLE_TABLE_ENTRY", "ObjectPointerBits", out var bits).ShouldBeTrue();
        (bits.BitPosition, bits.BitLength, bits.Size).ShouldBe((20, 44, 8));
        Should.Throw<MissingSymbolException>(() => isf.OffsetOf("_EPROCESS", "NoSuchField")).Message.ShouldContain("_EPROCESS.NoSuchField");
    }

    [Fact]
    public void Plain_json_loads_and_bad_files_fail_with_the_file_and_position()
    {
        var dir = Directory.CreateTempSubdirectory("alkanet-isf-").FullName;
        try
        {
            var plain = Path.Combine(dir, "small.json");
            File.WriteAllText(plain, """{"metadata":{"format":"6.1.0"},"base_types":{"unsigned int":{"size":4}},"user_types":{"_X":{"kind":"struct","size":8,"fields":{"A":{"offset":4,"type":{"kind":"base","name":"unsigned int"}}}}},"symbols":{"S":{"address":16}},"enums":{}}""");
            var isf = IsfFile.Load(plain);
            isf.OffsetOf("_X", "A").ShouldBe(4u);
            isf.SymbolRva("S").ShouldBe(16UL);
            isf.Pdb.ShouldBeNull();

            var broken = Path.Combine(dir, "broken.json");
            File.WriteAllText(broken, "{\n \"metadata\": {,\n}");
            var ex = Should.Throw<InvalidDataException>(() => IsfFile.Load(broken));
            ex.Message.ShouldContain("broken.json");
            ex.Message.ShouldContain("line 2");

            var xz = Path.Combine(dir, "cut.json.xz");
            var real = File.ReadAllBytes(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "data", "windows", "symbols"), "*.json.xz")[0]);
            File.WriteAllBytes(xz, real[..(real.Length / 2)]);
            Should.Throw<InvalidDataException>(() => IsfFile.Load(xz)).Message.ShouldContain("cut.json.xz");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Xz_output_is_capped()
    {
        var real = File.ReadAllBytes(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "data", "windows", "symbols"), "*.json.xz")[0]);
        XzDecoder.IsXz(real).ShouldBeTrue();
        Should.Throw<InvalidDataException>(() => XzDecoder.Decompress(real, 1 << 20)).Message.ShouldContain("cap");
    }
}
