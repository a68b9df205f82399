using System.Buffers.Binary;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Syscalls;

namespace Alkanet.Introspection.Windows;

/// <summary>The nt system-call table the running kernel really uses: KeServiceDescriptorTable (KSERVICE_TABLE_DESCRIPTOR:
/// Base at +0, Limit at +16) → KiServiceTable, whose 32-bit entries are the routine's offset from the table base shifted
/// left by 4 (the low 4 bits count the stack arguments); each routine is named by the ISF symbol at its address. Numbers
/// change with cumulative updates inside a release (19041's later updates insert NtCopyFileChunk at 163), so a static
/// per-release table can name most calls wrongly; this one cannot, as long as the ISF matches the kernel (it does: the
/// ISF is chosen by the kernel's own PDB identity).</summary>
public static class KernelServiceTable
{
    /// <summary>More services than any Windows build has (22H2 has about 480): a larger limit is not a descriptor.</summary>
    public const uint MaxServices = 0x1000;

    /// <summary>The release name tables read this way carry (run.json's discovery notes say it).</summary>
    public const string Release = "running kernel's KiServiceTable";

    /// <summary>Reads the table; null with <paramref name="why"/> naming the step that failed (the caller falls back
    /// to a static table). <paramref name="unnamed"/> counts entries whose routine has no Nt* symbol in the ISF,
    /// <paramref name="ambiguous"/> those whose routine has several (named in the order <paramref name="hint"/> numbers them).</summary>
    public static SyscallTable? TryRead(IVirtualMemory memory, ulong imageBase, IsfFile isf, int build, SyscallTable? hint,
        out int unnamed, out int ambiguous, out string? why)
    {
        unnamed = 0;
        ambiguous = 0;
        if (!isf.TryGetSymbol("KeServiceDescriptorTable", out var sdtRva))
        {
            why = "the symbol table lacks KeServiceDescriptorTable";
            return null;
        }
        var sdt = imageBase + sdtRva;
        if (!memory.TryReadU64(sdt, out var tableBase) || !memory.TryReadU32(sdt + 16, out var limit))
        {
            why = $"KeServiceDescriptorTable at 0x{sdt:x} is not readable";
            return null;
        }
        var imageSize = PeImage.TryGetSizeOfImage(memory, imageBase, out var size) ? size : 0UL;
        if (tableBase < imageBase || tableBase >= imageBase + imageSize)
        {
            why = $"KeServiceDescriptorTable at 0x{sdt:x} points at 0x{tableBase:x}, outside ntoskrnl " +
                $"(0x{imageBase:x}+0x{imageSize:x}): not initialised yet, or not a service descriptor";
            return null;
        }
        if (limit is 0 or > MaxServices)
        {
            why = $"KeServiceDescriptorTable at 0x{sdt:x} has limit {limit}, not a plausible number of services";
            return null;
        }
        var entries = new byte[limit * 4];
        if (memory.Read(tableBase, entries) != entries.Length)
        {
            why = $"KiServiceTable at 0x{tableBase:x} ({limit} entries) is not readable in full";
            return null;
        }

        // Routine RVA → its Nt* names. The linker folds identical routines (the STATUS_NOT_IMPLEMENTED stubs of 1909's
        // event-pair calls share one address), so a routine can carry several names. The entries leading to one routine
        // take its names in the order the static table numbers them (an update shifts numbers, rarely that order), then
        // alphabetically (Windows numbered its services alphabetically).
        var routines = new Dictionary<ulong, List<string>>();
        foreach (var (name, rva) in isf.Symbols)
            if (name.StartsWith("Nt", StringComparison.Ordinal))
            {
                if (!routines.TryGetValue(rva, out var names)) routines[rva] = names = [];
                names.Add(name);
            }
        uint HintOf(string name) => hint is not null && hint.TryGetNumber(name, out var number) ? number : uint.MaxValue;
        foreach (var names in routines.Values)
            if (names.Count > 1) names.Sort((a, b) => HintOf(a) != HintOf(b) ? HintOf(a).CompareTo(HintOf(b)) : string.CompareOrdinal(a, b));
        var calls = new List<KeyValuePair<string, uint>>((int)limit);
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (uint n = 0; n < limit; n++)
        {
            var entry = BinaryPrimitives.ReadInt32LittleEndian(entries.AsSpan((int)(n * 4)));
            var routine = tableBase + (ulong)(long)(entry >> 4) - imageBase;
            string? name = null;
            if (routines.TryGetValue(routine, out var names))
            {
                if (names.Count > 1) ambiguous++;
                name = names.Find(c => !used.Contains(c));
            }
            if (name is not null && used.Add(name)) calls.Add(new(name, n));
            else unnamed++;
        }
        if (calls.Count == 0)
        {
            why = $"none of the {limit} KiServiceTable entries at 0x{tableBase:x} leads to an Nt* routine of the symbol table";
            return null;
        }
        why = null;
        return new SyscallTable("windows", Release, build, "nt", calls);
    }

    /// <summary>How many numbers two tables name differently (a number one names and the other does not counts).</summary>
    public static int Differences(SyscallTable a, SyscallTable b)
    {
        var max = Math.Max(a.Calls().Select(c => c.Number).DefaultIfEmpty().Max(), b.Calls().Select(c => c.Number).DefaultIfEmpty().Max());
        var diff = 0;
        for (uint n = 0; n <= max; n++)
            if (!string.Equals(a.NameOf(n), b.NameOf(n), StringComparison.Ordinal)) diff++;
        return diff;
    }
}
