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
        var calls = NameEntries(memory, tableBase, limit, imageBase, isf, "Nt", 0, hint, out unnamed, out ambiguous, out why, "KiServiceTable");
        return calls is null ? null : new SyscallTable("windows", Release, build, "nt", calls);
    }

    /// <summary>The release name the win32k table read from the kernel carries.</summary>
    public const string ShadowRelease = "running kernel's W32pServiceTable";

    /// <summary>win32k numbers start here: the shadow descriptor's second table (the number's bits 12-13 pick the table).</summary>
    public const uint Win32kFirst = 0x1000;

    /// <summary>Reads the win32k table the running kernel uses: KeServiceDescriptorTableShadow's second descriptor (at +0x20:
    /// Base, Limit at +0x30) → W32pServiceTable inside win32k.sys; the module is found by scanning back from the table to its
    /// PE header, its CodeView record names the PDB, and the ISF of that PDB in <paramref name="profiles"/> (imported like a
    /// kernel's) names each routine (NtUser*, NtGdi*, numbered from 0x1000). Null with <paramref name="why"/> when win32k is not
    /// loaded yet (the descriptor is empty until the first GUI session), is not mapped in this address space (session space),
    /// or no ISF of that win32k is known: the static table then names win32k calls.</summary>
    public static SyscallTable? TryReadShadow(IVirtualMemory memory, ulong imageBase, IsfFile isf, ProfileStore profiles, int build,
        SyscallTable? hint, out int unnamed, out string? why)
    {
        unnamed = 0;
        if (!isf.TryGetSymbol("KeServiceDescriptorTableShadow", out var shadowRva))
        {
            why = "the kernel's symbol table lacks KeServiceDescriptorTableShadow";
            return null;
        }
        var descriptor = imageBase + shadowRva + 0x20;
        if (!memory.TryReadU64(descriptor, out var tableBase) || !memory.TryReadU32(descriptor + 16, out var limit))
        {
            why = $"KeServiceDescriptorTableShadow[1] at 0x{descriptor:x} is not readable";
            return null;
        }
        if (tableBase == 0 || limit == 0)
        {
            why = $"KeServiceDescriptorTableShadow[1] at 0x{descriptor:x} is empty (win32k not loaded yet)";
            return null;
        }
        if (!GuestReader.IsKernelAddress(tableBase) || limit > MaxServices)
        {
            why = $"KeServiceDescriptorTableShadow[1] at 0x{descriptor:x} holds base 0x{tableBase:x}, limit {limit}: not a service descriptor";
            return null;
        }
        var module = FindModule(memory, tableBase);
        if (module == 0)
        {
            why = $"no PE image header within 4 MiB below W32pServiceTable at 0x{tableBase:x} (win32k not mapped in this address space?)";
            return null;
        }
        var cv = PeImage.ReadCodeView(memory, module);
        if (cv is null)
        {
            why = $"the win32k image at 0x{module:x} has no readable CodeView (RSDS) record";
            return null;
        }
        var w32 = profiles.FindByPdb(cv.Guid, cv.Age);
        if (w32 is null)
        {
            why = $"no symbol table for {cv.PdbName} {cv.Guid}-{cv.Age} (import its ISF with 'alkanet profile import FILE')";
            return null;
        }
        var calls = NameEntries(memory, tableBase, limit, module, w32, "Nt", Win32kFirst, hint, out unnamed, out _, out why, "W32pServiceTable");
        return calls is null ? null : new SyscallTable("windows", ShadowRelease, build, "win32k", calls);
    }

    /// <summary>The PE image (win32k.sys is a few MiB at most) holding <paramref name="address"/>, or 0.</summary>
    private static ulong FindModule(IVirtualMemory memory, ulong address)
    {
        for (ulong back = 0; back <= 4UL << 20; back += 4096)
        {
            var candidate = (address & ~0xFFFUL) - back;
            if (PeImage.LooksLikePe64(memory, candidate) && PeImage.TryGetSizeOfImage(memory, candidate, out var size) && address - candidate < size)
                return candidate;
        }
        return 0;
    }

    /// <summary>Names a service table's entries (each the routine's offset from the table base &lt;&lt; 4) by the symbols of
    /// <paramref name="isf"/> starting with <paramref name="prefix"/> at the routine's RVA from <paramref name="moduleBase"/>;
    /// numbers are <paramref name="first"/> + the index. Null with <paramref name="why"/> when unreadable or nothing is named.</summary>
    private static List<KeyValuePair<string, uint>>? NameEntries(IVirtualMemory memory, ulong tableBase, uint limit, ulong moduleBase, IsfFile isf,
        string prefix, uint first, SyscallTable? hint, out int unnamed, out int ambiguous, out string? why, string tableName)
    {
        unnamed = 0;
        ambiguous = 0;
        var entries = new byte[limit * 4];
        if (memory.Read(tableBase, entries) != entries.Length)
        {
            why = $"{tableName} at 0x{tableBase:x} ({limit} entries) is not readable in full";
            return null;
        }

        // Routine RVA → its names. The linker folds identical routines (the STATUS_NOT_IMPLEMENTED stubs of 1909's
        // event-pair calls share one address), so a routine can carry several names. The entries leading to one routine
        // take its names in the order the static table numbers them (an update shifts numbers, rarely that order), then
        // alphabetically (Windows numbered its services alphabetically).
        var routines = new Dictionary<ulong, List<string>>();
        foreach (var (name, rva) in isf.Symbols)
            if (name.StartsWith(prefix, StringComparison.Ordinal))
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
            var routine = tableBase + (ulong)(long)(entry >> 4) - moduleBase;
            string? name = null;
            if (routines.TryGetValue(routine, out var names))
            {
                if (names.Count > 1) ambiguous++;
                name = names.Find(c => !used.Contains(c));
            }
            if (name is not null && used.Add(name)) calls.Add(new(name, first + n));
            else unnamed++;
        }
        if (calls.Count == 0)
        {
            why = $"none of the {limit} {tableName} entries at 0x{tableBase:x} leads to an {prefix}* routine of the symbol table";
            return null;
        }
        why = null;
        return calls;
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
