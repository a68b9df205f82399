using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Linux;
using Alkanet.Introspection.Memory;
using LinuxSite = Alkanet.Introspection.Linux.HookSite;

namespace Alkanet.Vmm.Gdb;

/// <summary>
/// The Linux x86-64 profile of the gdbstub hook: the live tracer's <see cref="LinuxProfile"/> (hook sites, BTF
/// offsets, the kernel's own call table) joined to a VM attached through its gdbstub. On attach it finds the KASLR
/// slide by reading the kernel's code through a stopped vCPU (<see cref="KaslrSlideFinder.Scan"/>: the profile's
/// x64_sys_call fingerprint at link address + each 2 MiB step under 1 GiB), checks the other sites match at that
/// slide (so a profile of another kernel build is refused, not traced wrongly), and then hands every hit to one
/// <see cref="LinuxSyscallTracer"/>, which pairs ENTER and EXIT by the task's pt_regs address: a call that blocks
/// on one vCPU and returns on another still pairs.
/// </summary>
public sealed class LinuxGdbDecoder : IDescribedHookDecoder
{
    private readonly LinuxSyscallTracer _tracer;
    private readonly Dictionary<ulong, HookRole> _roles = [];

    private LinuxGdbDecoder(LinuxProfile profile, ulong slide, List<string> notes, List<string> warnings)
    {
        _tracer = new LinuxSyscallTracer(profile) { Slide = slide };
        var sites = new List<HookSite>();
        foreach (var s in profile.Sites)
        {
            var address = _tracer.SiteAddress(s.Role);
            _roles[address] = s.Role;
            sites.Add(new HookSite(address, s.Role == HookRole.Exit ? HookKind.Exit : HookKind.Enter, s.Symbol));
        }
        Sites = sites;
        Notes = notes;
        Warnings = warnings;
    }

    public IReadOnlyList<HookSite> Sites { get; }

    public IReadOnlyList<string> Notes { get; }

    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The KASLR slide found at attach (runtime minus link-time address; 0 for a <c>nokaslr</c> boot).</summary>
    public ulong Slide => _tracer.Slide;

    /// <summary>The tracer behind the decoder (pending calls, the profile).</summary>
    public LinuxSyscallTracer Tracer => _tracer;

    /// <summary>
    /// Finds the KASLR slide through the attached, stopped VM and returns the decoder. vCPUs in the kernel are tried
    /// first; when none leads to the sites and a vCPU ran user code (a CR3 without the kernel under page-table
    /// isolation), the VM runs a moment and is stopped again (<see cref="LinuxGdbAttachOptions"/>). Throws
    /// <see cref="InvalidOperationException"/> naming the profile and what did not match when the running kernel is not
    /// the profile's.
    /// </summary>
    public static LinuxGdbDecoder Discover(GdbClient client, LinuxProfile profile, string profileSource, LinuxGdbAttachOptions? attach = null)
    {
        attach ??= new LinuxGdbAttachOptions();
        if (!profile.Sites.Any(s => s.Role == HookRole.Enter64) || !profile.Sites.Any(s => s.Role == HookRole.Exit))
            throw new InvalidOperationException($"the Linux profile {profileSource} names no x64_sys_call (ENTER) or no " +
                "syscall_exit_to_user_mode_prepare (EXIT) site: rebuild it (delete it and run `alkanet run` once, or pass --vmlinux FILE --kallsyms FILE)");
        var threads = client.ListThreads();
        if (threads.Count == 0) throw new InvalidOperationException("the gdbstub lists no vCPUs");
        var enter = profile.Site(HookRole.Enter64);
        for (var attempt = 1; ; attempt++)
        {
            var states = threads.Select(t => (Thread: t, State: client.ReadRegisters(t))).OrderBy(c => c.State.CpuIndex).ToList();
            var inKernel = states.Where(c => c.State.Cpl == 0).ToList();
            // The first stop tries every vCPU (without page-table isolation a user CR3 maps the kernel too); later
            // stops only those in the kernel, as a failing scan costs up to 512 'm' reads.
            var candidates = inKernel.Count > 0 ? inKernel : attempt == 1 ? states : [];
            foreach (var (thread, state) in candidates)
            {
                var memory = client.MemoryOf(thread);
                if (KaslrSlideFinder.Scan(enter, memory) is not { } slide) continue;
                return Found(profile, profileSource, slide, memory, state.CpuIndex, attempt);
            }
            if (inKernel.Count > 0 || attempt >= attach.Attempts)
            {
                throw new InvalidOperationException(
                    $"the running kernel is not the one of the Linux profile {profileSource} (release {Release(profile)}): " +
                    $"{enter.Symbol}'s code (link address 0x{enter.LinkAddress:x}) is at no 2 MiB-aligned KASLR slide under 1 GiB, read through " +
                    $"{(inKernel.Count > 0 ? $"{inKernel.Count} vCPU(s) in the kernel" : $"{states.Count} vCPU(s) at {attempt} stops")}. " +
                    "Pass --profile FILE of this kernel, or --vmlinux FILE --kallsyms FILE (its vmlinux with BTF, and /proc/kallsyms of a nokaslr boot or its System.map)");
            }
            client.Continue();
            var stop = client.WaitForStop(attach.RunBetweenAttempts) ?? client.Interrupt();
            if (stop.Kind != GdbStopKind.Signal)
                throw new InvalidOperationException($"the VM ended while Linux discovery waited for a vCPU in the kernel ('{stop.Raw}')");
        }
    }

    private static LinuxGdbDecoder Found(LinuxProfile profile, string source, ulong slide, IVirtualMemory memory, int cpu, int attempt)
    {
        var notes = new List<string>
        {
            $"profile {source}: release {Release(profile)}, {profile.Syscalls64.Entries().Count()} 64-bit calls",
            $"KASLR slide 0x{slide:x} ({profile.Site(HookRole.Enter64).Symbol} at 0x{profile.Site(HookRole.Enter64).LinkAddress + slide:x}, " +
                $"found through vCPU {cpu}{(attempt > 1 ? $" at stop {attempt}" : "")}){(slide == 0 ? "; no randomisation (nokaslr or a PVH boot)" : "")}",
        };
        var warnings = new List<string>();
        Span<byte> code = stackalloc byte[LinuxProfile.FingerprintSkip + 16];
        foreach (var site in profile.Sites)
        {
            var at = site.LinkAddress + slide;
            var want = code[..(LinuxProfile.FingerprintSkip + site.Fingerprint.Length)];
            if (memory.Read(at, want) != want.Length || !KaslrSlideFinder.TryMatch(site, at, want, out var s) || s != slide)
                throw new InvalidOperationException($"the running kernel is not the one of the Linux profile {source} (release {Release(profile)}): " +
                    $"{profile.Site(HookRole.Enter64).Symbol} matches at KASLR slide 0x{slide:x}, but {site.Symbol}'s code at 0x{at:x} does not");
            if (!want[..5].SequenceEqual(GdbClient.FtraceNop))
                warnings.Add($"{site.Symbol} does not start with the 5-byte NOP ({Convert.ToHexStringLower(want[..5])}; ftrace may be using it): its hits single-step the vCPU");
        }
        try
        {
            return new LinuxGdbDecoder(profile, slide, notes, warnings);
        }
        catch (KeyNotFoundException ex)
        {
            throw new InvalidOperationException($"the Linux profile {source} is incomplete ({ex.Message}): rebuild it " +
                "(delete it and run `alkanet run` once, or pass --vmlinux FILE --kallsyms FILE)", ex);
        }
    }

    private static string Release(LinuxProfile p) => p.KernelRelease.Length > 0 ? p.KernelRelease : "unknown";

    public bool Decode(HookSite site, in VcpuState state, IVirtualMemory memory, SyscallRecord record) =>
        _roles.TryGetValue(site.Address, out var role) && _tracer.OnHit(role, state, memory, record);

    /// <summary>The site of <paramref name="role"/> in the profile (link-time), for callers that name it.</summary>
    public LinuxSite ProfileSite(HookRole role) => _tracer.Profile.Site(role);
}

/// <summary>How hard <see cref="LinuxGdbDecoder.Discover"/> tries to catch a vCPU in the kernel.</summary>
public sealed class LinuxGdbAttachOptions
{
    /// <summary>Stops to try (the attach stop included).</summary>
    public int Attempts { get; init; } = 20;

    /// <summary>How long the VM runs between two stops.</summary>
    public TimeSpan RunBetweenAttempts { get; init; } = TimeSpan.FromMilliseconds(20);
}
