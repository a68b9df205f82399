using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Syscalls;

namespace Alkanet.Introspection.Windows;

/// <summary>What discovery found about the running Windows kernel (or why it could not).</summary>
public sealed class WindowsKernelInfo
{
    public bool Ok => Error is null;

    /// <summary>Why discovery failed, naming the step; null on success.</summary>
    public string? Error { get; init; }

    public ulong KernelBase { get; init; }
    public CodeViewInfo? CodeView { get; init; }
    public WindowsProfile? Profile { get; init; }
    public WindowsHookSites? HookSites { get; init; }

    /// <summary>The build number used to pick the system-call table, and where it came from.</summary>
    public int Build { get; init; }
    public string BuildSource { get; init; } = "";
    public Version? FileVersion { get; init; }

    public SyscallTableChoice? Syscalls { get; init; }
    public SyscallTableChoice? Win32kSyscalls { get; init; }

    /// <summary>Which source named the nt calls: the running kernel's KiServiceTable, or a static table and why.</summary>
    public string SyscallSource { get; init; } = "";

    /// <summary>Which source named the win32k calls: the running kernel's W32pServiceTable (with win32k's ISF), or a static
    /// table and why.</summary>
    public string Win32kSyscallSource { get; init; } = "";

    /// <summary>KiServiceLimit of the running kernel (number of nt services), when readable.</summary>
    public uint? ServiceCount { get; init; }

    /// <summary>The CR3 of the state discovery read the kernel through (maps the kernel half).</summary>
    public ulong KernelCr3 { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];

    public override string ToString() => Ok
        ? $"ntoskrnl at {KernelBase:x}, {CodeView?.PdbName} {CodeView?.Guid}-{CodeView?.Age}, build {Build} ({BuildSource}), "
            + $"table {Syscalls?.Table.Release}{(Syscalls is { Exact: false } ? " (guessed)" : "")}"
        : $"kernel not found: {Error}";
}

/// <summary>Finds ntoskrnl from a vCPU state alone: LSTAR (or the IDT) points into it; scan back page by page for
/// its PE header; its CodeView record names the PDB, hence the ISF; the ISF's RVAs give the hook sites.</summary>
public static class WindowsKernel
{
    /// <summary>How far back from the entry point to look for the image header (ntoskrnl is under 16 MiB).</summary>
    public const ulong MaxScanBytes = 32UL << 20;

    /// <summary>Discovers through guest-physical memory, walking the state's page tables (CR3, CR4.LA57).</summary>
    public static WindowsKernelInfo Discover(in VcpuState state, IPhysicalMemory physical, ProfileStore profiles) =>
        Discover(state, new PagedVirtualMemory(physical, state.Cr3, PagingModes.FromCr4(state.Cr4)), profiles);

    /// <summary>Discovers through a virtual view of the state's address space (e.g. QEMU's reads of the current CR3).</summary>
    public static WindowsKernelInfo Discover(in VcpuState state, IVirtualMemory memory, ProfileStore profiles)
    {
        var warnings = new List<string>();
        ulong start;
        var fromIdt = false;
        if ((state.Known & KnownRegisters.Lstar) != 0 && state.Lstar != 0) start = state.Lstar;
        else if ((state.Known & KnownRegisters.IdtBase) != 0 && state.IdtBase != 0)
        {
            if (!TryReadIdtHandler(memory, state.IdtBase, 0, out start))
                return Fail($"the IDT at {state.IdtBase:x} is not readable in this address space (cr3 {state.Cr3:x})");
            warnings.Add("MSR LSTAR not available; located the kernel from IDT vector 0");
            fromIdt = true;
        }
        else return Fail("neither MSR LSTAR nor the IDT base is known in this vCPU state");
        if (!GuestReader.IsKernelAddress(start)) return Fail($"the entry point {start:x} is not a kernel address");

        ulong imageBase = 0;
        for (ulong back = 0; back <= MaxScanBytes; back += 4096)
        {
            var candidate = (start & ~0xFFFUL) - back;
            if (PeImage.LooksLikePe64(memory, candidate)
                && PeImage.TryGetSizeOfImage(memory, candidate, out var sizeOfImage) && start - candidate < sizeOfImage)
            {
                imageBase = candidate;
                break;
            }
        }
        if (imageBase == 0)
            return Fail($"no PE image header within {MaxScanBytes >> 20} MiB below {start:x} "
                + "(with KVA shadow, a user CR3 does not map the kernel: discover from a state with the kernel CR3)");

        var cv = PeImage.ReadCodeView(memory, imageBase);
        if (cv is null) return Fail($"the kernel image at {imageBase:x} has no readable CodeView (RSDS) debug record", imageBase);
        var isf = profiles.FindByPdb(cv.Guid, cv.Age);
        if (isf is null)
            return Fail($"no symbol table for {cv.PdbName} {cv.Guid}-{cv.Age}: get its ISF (volatility3 pdbconv or a symbol-table repository) "
                + "and run 'alkanet profile import FILE'", imageBase, cv);
        var profile = new WindowsProfile(isf);
        foreach (var m in profile.Missing) warnings.Add($"the symbol table lacks {m}");

        var sites = FindHookSites(memory, imageBase, profile, start, fromIdt, warnings);

        var fileVersion = PeImage.ReadFileVersion(memory, imageBase);
        int build;
        string buildSource;
        if (memory.TryReadU32(WindowsProfile.KuserSharedData + profile.KuserNtBuildNumber, out var ntBuild)
            && profile.Has("_KUSER_SHARED_DATA.NtBuildNumber") && (ntBuild & 0xFFFF) is > 1000 and < 100000)
        {
            build = (int)(ntBuild & 0xFFFF);
            buildSource = "KUSER_SHARED_DATA.NtBuildNumber";
        }
        else if (fileVersion is not null)
        {
            build = fileVersion.Build;
            buildSource = $"kernel file version {fileVersion}";
            warnings.Add($"KUSER_SHARED_DATA.NtBuildNumber unreadable; build {build} taken from the kernel's file version, "
                + "which names the kernel binary, not the release (1909 runs the 18362 kernel)");
        }
        else
        {
            build = 0;
            buildSource = "unknown";
            warnings.Add("the build number is unknown (KUSER_SHARED_DATA and the version resource are unreadable)");
        }

        var source = SyscallTableSources.ForOs("windows") ?? WindowsSyscallTables.Instance;
        var nt = build > 0 ? source.Choose(build, "nt") : null;
        var win32k = build > 0 ? source.Choose(build, "win32k") : null;

        // Names from the running kernel's KiServiceTable when it can be read; the static table is the fallback.
        string syscallSource;
        var fromKernel = KernelServiceTable.TryRead(memory, imageBase, isf, build, nt?.Table,
            out var unnamed, out var ambiguous, out var tableWhy);
        if (fromKernel is not null)
        {
            var against = nt is null ? ""
                : $"; it differs from the static {nt.Table.Release} table in {KernelServiceTable.Differences(fromKernel, nt.Table)} numbers";
            var folded = ambiguous > 0 ? $", {ambiguous} of them at routines the linker folded under several names" : "";
            syscallSource = $"the running kernel's KiServiceTable ({fromKernel.Count} services named by the symbol table{folded}{against})";
            if (unnamed > 0)
                warnings.Add($"{unnamed} KiServiceTable entries lead to no Nt* routine of the symbol table: those calls are named unknown_<hex>");
            nt = new SyscallTableChoice(fromKernel, true, null);
        }
        else
        {
            syscallSource = nt is null ? "none" : $"the static {nt.Table.Release} table (fallback: {tableWhy})";
            warnings.Add($"system-call names from a static table: {tableWhy}");
            if (nt is null) warnings.Add("no system-call table chosen: calls will be named unknown_<hex>");
            else if (!nt.Exact) warnings.Add($"system-call table guessed: {nt.Note}");
        }

        // win32k the same way, through the shadow descriptor, when win32k's own ISF is in the profile store.
        var shadow = KernelServiceTable.TryReadShadow(memory, imageBase, isf, profiles, build, win32k?.Table, out var w32Unnamed, out var w32Why);
        string win32kSource;
        if (shadow is not null)
        {
            var against = win32k is null ? ""
                : $"; it differs from the static {win32k.Table.Release} table in {KernelServiceTable.Differences(shadow, win32k.Table)} numbers";
            win32kSource = $"the running kernel's W32pServiceTable ({shadow.Count} services named by win32k's symbol table{against})";
            if (w32Unnamed > 0) warnings.Add($"{w32Unnamed} W32pServiceTable entries lead to no Nt* routine of win32k's symbol table");
            win32k = new SyscallTableChoice(shadow, true, null);
        }
        else win32kSource = win32k is null ? $"none ({w32Why})" : $"the static {win32k.Table.Release} table (fallback: {w32Why})";

        // Cross-check a static table with the running kernel: KiServiceLimit is the number of nt services.
        uint? serviceCount = null;
        if (isf.TryGetSymbol("KiServiceLimit", out var limitRva) && memory.TryReadU32(imageBase + limitRva, out var limit)
            && limit is > 0 and < 0x1000)
        {
            serviceCount = limit;
            if (fromKernel is null && nt is not null && nt.Table.Count != limit)
                warnings.Add($"the kernel has {limit} system services but the {nt.Table.Release} table lists {nt.Table.Count}: "
                    + "numbers may differ (a cumulative update can renumber calls)");
        }

        return new WindowsKernelInfo
        {
            KernelBase = imageBase,
            CodeView = cv,
            Profile = profile,
            HookSites = sites,
            Build = build,
            BuildSource = buildSource,
            FileVersion = fileVersion,
            Syscalls = nt,
            SyscallSource = syscallSource,
            Win32kSyscalls = win32k,
            Win32kSyscallSource = win32kSource,
            ServiceCount = serviceCount,
            KernelCr3 = state.Cr3 & PageWalker.AddressMask,
            Warnings = warnings,
        };

        WindowsKernelInfo Fail(string why, ulong kernelBase = 0, CodeViewInfo? codeView = null) =>
            new() { Error = why, KernelBase = kernelBase, CodeView = codeView, Warnings = warnings };
    }

    private static bool TryReadIdtHandler(IVirtualMemory m, ulong idtBase, int vector, out ulong handler)
    {
        handler = 0;
        Span<byte> gate = stackalloc byte[16];
        if (m.Read(idtBase + ((ulong)vector * 16), gate) != 16) return false;
        handler = BitConverter.ToUInt16(gate) | ((ulong)BitConverter.ToUInt16(gate[6..]) << 16) | ((ulong)BitConverter.ToUInt32(gate[8..]) << 32);
        return true;
    }

    private static WindowsHookSites FindHookSites(IVirtualMemory m, ulong imageBase, WindowsProfile profile, ulong entry, bool fromIdt,
        List<string> warnings)
    {
        var isf = profile.Isf;
        ulong Sym(string name) => isf.TryGetSymbol(name, out var rva) ? imageBase + rva : 0;
        var call64 = Sym("KiSystemCall64");
        var shadow = Sym("KiSystemCall64Shadow");
        var user = Sym("KiSystemServiceUser");
        var exit = Sym("KiSystemServiceExit");
        var copyEnd = Sym("KiSystemServiceCopyEnd");
        var ssdt = Sym("KeServiceDescriptorTable");
        var lstar = entry;
        bool kva;
        if (fromIdt)
        {
            // Without LSTAR (gdbstub), KVA shadow shows in the IDT: its handlers are the *Shadow copies. LSTAR then
            // holds the matching entry (Lstar below is that inference, not a read of the MSR).
            kva = KvaShadowFromIdt(m, imageBase, isf, entry, warnings);
            lstar = kva ? shadow : call64;
        }
        else kva = shadow != 0 && lstar == shadow;
        if (lstar != call64 && !kva)
            warnings.Add($"LSTAR {lstar:x} is neither KiSystemCall64 ({call64:x}) nor KiSystemCall64Shadow ({shadow:x}): "
                + "the entry may be hooked by other software");
        var enter = kva ? user : call64;
        if (kva && user == 0)
        {
            enter = shadow;
            warnings.Add("KVA shadow without KiSystemServiceUser in the symbol table: ENTER hooks the shadow entry, where CR3 is still the user's");
        }

        var returnSite = copyEnd != 0 ? FindReturnSite(m, copyEnd) : 0;
        if (returnSite == 0)
            warnings.Add("the return site after the service call was not found after KiSystemServiceCopyEnd; EXIT hooks KiSystemServiceExit");
        return new WindowsHookSites(enter, returnSite != 0 ? returnSite : exit, returnSite != 0, kva, lstar, call64, shadow, user, exit, ssdt);
    }

    /// <summary>KVA shadow from IDT vector 0: KiDivideErrorFaultShadow when on, KiDivideErrorFault when off; a handler
    /// that is neither (another driver hooked the IDT) falls back to the kernel's KiKvaShadow flag.</summary>
    private static bool KvaShadowFromIdt(IVirtualMemory m, ulong imageBase, IsfFile isf, ulong handler, List<string> warnings)
    {
        if (isf.TryGetSymbol("KiDivideErrorFaultShadow", out var shadowRva) && handler == imageBase + shadowRva) return true;
        if (isf.TryGetSymbol("KiDivideErrorFault", out var plainRva) && handler == imageBase + plainRva) return false;
        var on = isf.TryGetSymbol("KiKvaShadow", out var flagRva) && m.TryReadU8(imageBase + flagRva, out var flag) && flag != 0;
        warnings.Add($"IDT vector 0 ({handler:x}) is neither KiDivideErrorFault nor KiDivideErrorFaultShadow; "
            + $"KVA shadow {(on ? "on" : "off")} taken from KiKvaShadow");
        return on;
    }

    /// <summary>The address after the first <c>call r10</c> (41 FF D2), else <c>call rax</c> (FF D0), within 256
    /// bytes of KiSystemServiceCopyEnd: the dispatcher calls the service routine there, so RAX holds its status.</summary>
    public static ulong FindReturnSite(IVirtualMemory m, ulong copyEnd)
    {
        Span<byte> code = stackalloc byte[256];
        var got = m.Read(copyEnd, code);
        code = code[..got];
        var i = code.IndexOf([(byte)0x41, (byte)0xFF, (byte)0xD2]);
        if (i >= 0) return copyEnd + (ulong)i + 3;
        i = code.IndexOf([(byte)0xFF, (byte)0xD0]);
        return i >= 0 ? copyEnd + (ulong)i + 2 : 0;
    }
}
