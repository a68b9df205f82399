using Alkanet.Introspection.Symbols;

namespace Alkanet.Introspection.Tests.Symbols;

public sealed class ProfileStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alkanet-profiles-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void The_embedded_default_is_listed_and_found_by_its_pdb_identity()
    {
        var store = new ProfileStore(Path.Combine(_dir, "empty"));
        var list = store.List();
        list.ShouldHaveSingleItem().Embedded.ShouldBeTrue();
        list[0].Pdb!.Key.ShouldBe("E0093F3AEF15D58168B753C9488A40431");
        store.FindByPdb("e0093f3aef15d58168b753c9488a4043", 1).ShouldNotBeNull();
        store.FindByPdb("E0093F3AEF15D58168B753C9488A4043", 2).ShouldBeNull();
    }

    [Fact]
    public void Import_checks_the_file_names_it_by_identity_and_writes_nothing_for_a_bad_file()
    {
        var store = new ProfileStore(Path.Combine(_dir, "user"));
        var source = Path.Combine(_dir, "kernel.json");
        File.WriteAllText(source, """{"metadata":{"format":"6.1.0","windows":{"pdb":{"GUID":"00112233445566778899aabbccddeeff","age":2,"database":"ntkrnlmp.pdb"}}},"base_types":{},"user_types":{},"symbols":{},"enums":{}}""");
        var target = store.Import(source);
        Path.GetFileName(target).ShouldBe("ntkrnlmp.pdb_00112233445566778899AABBCCDDEEFF-2.json");
        store.List().Count.ShouldBe(2);
        store.FindByPdb("00112233445566778899AABBCCDDEEFF", 2)!.Source.ShouldBe(target);

        var bad = Path.Combine(_dir, "bad.json");
        File.WriteAllText(bad, "[1,2");
        Should.Throw<InvalidDataException>(() => store.Import(bad));
        Directory.GetFiles(Path.Combine(_dir, "user")).Length.ShouldBe(1);
    }
}
