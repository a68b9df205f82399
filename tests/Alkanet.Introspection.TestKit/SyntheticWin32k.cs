using System.Text;
using System.Text.Json.Nodes;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Syscalls;

namespace Alkanet.Introspection.TestKit;

/// <summary>
/// A win32k.sys for the synthetic guest (issue 15 item 0, the shadow table): no public win32k ISF ships with the
/// project, so the kit makes both sides from one number → name table (numbers from 0x1000, as the static win32k tables
/// have them): the module in guest memory (MZ/PE header, a CodeView RSDS record naming win32k.pdb, W32pServiceTable with
/// Windows' compressed entries, each leading to its routine) with KeServiceDescriptorTableShadow filled as the kernel
/// does once win32k is loaded ([0] = the nt descriptor, [1] = W32pServiceTable, its limit), and the matching ISF
/// (<see cref="IsfJson"/>: the PDB identity and a symbol per routine, as volatility3's pdbconv would write it).
/// </summary>
public sealed class SyntheticWin32k(SyscallTable table, string guid = "5A1C0DE0000000000000000000003232", int age = 1)
{
    public const string PdbName = "win32k.pdb";
    public const ulong TableRva = 0x4000, RoutinesRva = 0x1_0000, ImageSize = 0x20_0000;

    public SyscallTable Table { get; } = table;
    public string Guid { get; } = guid;
    public int Age { get; } = age;

    /// <summary>The ISF's file name as the profile store names files by identity.</summary>
    public string IsfFileName => $"{PdbName}_{Guid}-{Age}.json";

    /// <summary>Routine RVAs: one 16-byte slot per call, in the table's order of names (alphabetical), so a renumbered
    /// table (an inserted call) moves entries, not routines — as an update does.</summary>
    public ulong RoutineRva(string name) =>
        RoutinesRva + ((ulong)Table.Calls().Select(c => c.Name).Order(StringComparer.Ordinal).ToList().IndexOf(name) * 16);

    /// <summary>The ISF of this win32k (metadata with the PDB identity, W32pServiceTable and every routine's symbol).</summary>
    public byte[] IsfJson()
    {
        var symbols = new JsonObject { ["W32pServiceTable"] = new JsonObject { ["address"] = TableRva } };
        foreach (var c in Table.Calls()) symbols[c.Name] = new JsonObject { ["address"] = RoutineRva(c.Name) };
        var isf = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["format"] = "6.2.0",
                ["windows"] = new JsonObject { ["pdb"] = new JsonObject { ["database"] = PdbName, ["GUID"] = Guid, ["age"] = Age } },
            },
            ["base_types"] = new JsonObject(), ["user_types"] = new JsonObject(), ["enums"] = new JsonObject(), ["symbols"] = symbols,
        };
        return Encoding.UTF8.GetBytes(isf.ToJsonString());
    }

    /// <summary>Maps the module at <paramref name="imageBase"/> (2 MiB aligned; default 1 GiB above the kernel) in the guest's
    /// kernel half and fills the shadow descriptor; <paramref name="fillDescriptor"/> false leaves it empty (win32k not loaded
    /// yet). Returns W32pServiceTable's address.</summary>
    public ulong Install(SyntheticWindowsGuest g, ulong? imageBase = null, bool fillDescriptor = true)
    {
        var b = imageBase ?? g.KernelBase + 0x4000_0000;
        var pa = g.Physical.AllocateFrames(512, 0x20_0000);
        g.System.Map(b, pa, 0x20_0000);
        g.System.Write(b, "MZ"u8);
        const uint lfanew = 0x108;
        g.System.WriteU32(b + 0x3C, lfanew);
        g.System.Write(b + lfanew, "PE\0\0"u8);
        g.System.WriteU16(b + lfanew + 4, 0x8664);
        g.System.WriteU16(b + lfanew + 20, 0xF0);
        var opt = b + lfanew + 24;
        g.System.WriteU16(opt, 0x20B);
        g.System.WriteU32(opt + 56, (uint)ImageSize);
        g.System.WriteU32(opt + 108, 16);
        g.System.WriteU32(opt + 112 + (6 * 8), 0x1000); // debug directory
        g.System.WriteU32(opt + 112 + (6 * 8) + 4, 28);
        const uint rsds = 0x1100;
        g.System.WriteU32(b + 0x1000 + 12, 2);
        g.System.WriteU32(b + 0x1000 + 16, 24 + (uint)PdbName.Length + 1);
        g.System.WriteU32(b + 0x1000 + 20, rsds);
        g.System.Write(b + rsds, "RSDS"u8);
        g.System.Write(b + rsds + 4, System.Guid.ParseExact(Guid, "N").ToByteArray());
        g.System.WriteU32(b + rsds + 20, (uint)Age);
        g.System.Write(b + rsds + 24, Encoding.ASCII.GetBytes(PdbName + "\0"));
        var limit = Table.Calls().Max(c => c.Number) - 0x1000 + 1;
        var table = b + TableRva;
        for (uint n = 0; n < limit; n++)
        {
            var target = Table.NameOf(0x1000 + n) is { } name ? b + RoutineRva(name) : table; // a gap leads nowhere named
            g.System.WriteU32(table + (n * 4), (uint)(int)((long)(target - table) << 4));
        }
        var shadow = g.Symbol("KeServiceDescriptorTableShadow");
        var nt = g.Symbol("KeServiceDescriptorTable");
        for (ulong i = 0; i < 32; i += 8) g.System.WriteU64(shadow + i, g.MemoryOf(g.SystemProcess).TryReadU64(nt + i, out var v) ? v : 0);
        if (fillDescriptor)
        {
            g.System.WriteU64(shadow + 0x20, table);
            g.System.WriteU64(shadow + 0x30, limit);
        }
        return table;
    }
}
