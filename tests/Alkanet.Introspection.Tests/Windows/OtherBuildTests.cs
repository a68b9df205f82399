using Alkanet.Introspection.Hooks;
using System.Text.Json.Nodes;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Symbols.Compression;
using Alkanet.Introspection.TestKit;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

/// <summary>The decoders are written against symbol-table names: a guest of another build (here the 1909 table with
/// 2004's EPROCESS/ETHREAD offsets, another PDB GUID and build 19041) decodes with that build's ISF and table.</summary>
public sealed class OtherBuildTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alkanet-otherbuild-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string WriteShiftedIsf()
    {
        var xz = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "data", "windows", "symbols"), "*.json.xz")[0];
        var root = JsonNode.Parse(XzDecoder.Decompress(File.ReadAllBytes(xz)))!;
        void Move(string type, string field, int offset) => root["user_types"]![type]!["fields"]![field]!["offset"] = offset;
        // Offsets of Windows 10 2004 (19041) for the fields that moved between 1909 and 2004.
        Move("_EPROCESS", "UniqueProcessId", 0x440);
        Move("_EPROCESS", "InheritedFromUniqueProcessId", 0x540);
        Move("_EPROCESS", "Peb", 0x550);
        Move("_EPROCESS", "ObjectTable", 0x570);
        Move("_EPROCESS", "ImageFileName", 0x5a8);
        Move("_ETHREAD", "Cid", 0x478);
        root["symbols"]!["KiSystemCall64"]!["address"] = root["symbols"]!["KiSystemCall64"]!["address"]!.GetValue<long>() + 0x40;
        root["metadata"]!["windows"]!["pdb"]!["GUID"] = "C0FFEE00C0FFEE00C0FFEE00C0FFEE00";
        var path = Path.Combine(_dir, "ntkrnlmp.pdb_C0FFEE00C0FFEE00C0FFEE00C0FFEE00-1.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    [Fact]
    public void A_guest_of_another_build_decodes_with_its_own_symbol_table_and_syscall_numbers()
    {
        var isfPath = WriteShiftedIsf();
        var store = new ProfileStore(_dir, includeEmbedded: true);
        var isf = store.FindByPdb("C0FFEE00C0FFEE00C0FFEE00C0FFEE00", 1)!;
        isf.OffsetOf("_EPROCESS", "ImageFileName").ShouldBe(0x5a8u);

        var guest = new SyntheticWindowsGuest(isf, new SyntheticGuestOptions
        {
            NtBuildNumber = 19041, FileVersion = new Version(10, 0, 19041, 1), ServiceTable = WindowsSyscallTables.Instance.ByRelease("2004"),
        });
        var proc = guest.AddProcess(0x1234, "injector.exe", 0x888, null, null);
        var thread = proc.AddThread(0x1238);
        var victim = guest.AddProcess(0x444, "explorer.exe", 0x400, null, null);
        var victimHandle = proc.AddHandle(victim.Eprocess);
        var outH = proc.U64(0);
        var state = guest.EnterState(thread, 0xC1, outH, 0x1FFFFF, 0, victimHandle, 0x7FF6_1000_2000, 0, 0, 0, 0, 0, 0);

        var kernel = WindowsKernel.Discover(state, guest.Physical, store);
        kernel.Ok.ShouldBeTrue(kernel.Error);
        kernel.CodeView!.Guid.ShouldBe("C0FFEE00C0FFEE00C0FFEE00C0FFEE00");
        kernel.Syscalls!.Table.Release.ShouldBe(KernelServiceTable.Release);
        kernel.SyscallSource.ShouldStartWith("the running kernel's KiServiceTable");
        kernel.HookSites!.Enter.ShouldBe(guest.Symbol("KiSystemCall64"));

        var decoder = new WindowsSyscallDecoder(kernel);
        var record = new Core.Records.SyscallRecord();
        decoder.Decode(state, guest.MemoryOf(proc), SiteKind.Enter, record).ShouldBeTrue();
        record.Name.ShouldBe("NtCreateThreadEx");
        record.SysNo.ShouldBe(0xC1UL);
        (record.Pid, record.Tid, record.ProcName, record.ParentPid).ShouldBe((0x1234UL, 0x1238UL, "injector.exe", (ulong?)0x888));
        record.AdditionalInfo["target_pid"].ShouldBe("444");

        // The 1909 decoder on this guest would read the wrong offsets: the profile matters.
        var wrong = new WindowsSyscallDecoder(new WindowsProfile(store.LoadDefault()), kernel.KernelBase, kernel.Syscalls.Table);
        wrong.Decode(state, guest.MemoryOf(proc), SiteKind.Enter, record);
        record.ProcName.ShouldNotBe("injector.exe");
        _ = isfPath;
    }
}
