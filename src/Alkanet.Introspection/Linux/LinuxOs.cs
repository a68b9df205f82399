using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Linux;

/// <summary>
/// Linux x86-64 as a hook sees it: the sites are the profile's (x64_sys_call, ia32_sys_call,
/// syscall_exit_to_user_mode_prepare) moved by the KASLR slide, found from their code bytes (<see cref="FindInCode"/>:
/// the TCG plugin, at translation time) or by reading the kernel through a vCPU (<see cref="Find"/>: the gdbstub, which
/// also checks every site matches so a profile of another build is refused). Hits go to one
/// <see cref="LinuxSyscallTracer"/>, which pairs ENTER and EXIT by the task's pt_regs address.
/// Settings: <c>profile=FILE</c> (or <c>vmlinux</c> + <c>kallsyms</c>, or the analysis guest's under <c>cache</c>),
/// <c>args=all|decoded</c> (default all), <c>cr3=on</c>, <c>capture=on|all|sample</c> (the bytes of writes, docs/EVIDENCE.md;
/// sample: with <c>capture_sample=NAME</c>), <c>capture_call=BYTES</c> (the per-call cap).
/// </summary>
public sealed class LinuxOs : IGuestOs
{
    private const int CodeLength = 32;
    private readonly LinuxProfile _profile;
    private readonly string _source;
    private readonly bool _readCr3;
    private volatile KernelDiscovery? _found;

    public LinuxOs(LinuxProfile profile, string source, bool readCr3 = false, bool argsForEveryCall = true, bool captureWrites = false)
    {
        if (!profile.Sites.Any(s => s.Kind == SiteKind.Enter) || !profile.Sites.Any(s => s.Kind == SiteKind.Exit))
            throw new InvalidOperationException($"the Linux profile {source} names no x64_sys_call (ENTER) or no " +
                "syscall_exit_to_user_mode_prepare (EXIT) site: rebuild it (delete it and run `alkanet run` once, " +
                "or pass --vmlinux FILE --kallsyms FILE)");
        _profile = profile;
        _source = source;
        _readCr3 = readCr3;
        try
        {
            Tracer = new LinuxSyscallTracer(profile) { ArgsForEveryCall = argsForEveryCall, CaptureWrites = captureWrites };
        }
        catch (KeyNotFoundException ex)
        {
            throw new InvalidOperationException($"the Linux profile {source} is incomplete ({ex.Message}): rebuild it " +
                "(delete it and run `alkanet run` once, or pass --vmlinux FILE --kallsyms FILE)", ex);
        }
    }

    public static IGuestOs Create(GuestOsSettings settings)
    {
        var cache = settings.Get("cache");
        var (profile, source) = LinuxProfileSource.Resolve(settings.Get("profile"), settings.Get("vmlinux"), settings.Get("kallsyms"),
            cache is null ? null : Path.Combine(cache, "linux-guest"));
        var os = new LinuxOs(profile, source, settings.IsOn("cr3"), settings.Get("args") != "decoded", CaptureOn(settings));
        os.Tracer.CaptureCallBytes = CaptureSettings.CallBytes(settings);
        if (settings.Get("capture") == "sample")
            os.Tracer.CaptureScope = new LinuxCaptureScope(settings.Get("capture_sample")
                ?? throw new ArgumentException("capture=sample needs capture_sample=NAME (the sample's process name)"));
        return os;
    }

    /// <summary><c>capture=on|all</c>: every process's writes; <c>capture=sample</c>: the sample's (<see cref="LinuxCaptureScope"/>).</summary>
    private static bool CaptureOn(GuestOsSettings settings) => CaptureSettings.IsOn(settings);

    public string Name => "linux";

    /// <summary>The tracer behind the hits (pending calls, the profile, the slide).</summary>
    public LinuxSyscallTracer Tracer { get; }

    /// <summary>The KASLR slide once found.</summary>
    public ulong Slide => Tracer.Slide;

    public int SiteCodeLength => CodeLength;

    public KernelDiscovery? Found => _found;

    public bool CouldBeSite(ulong address)
    {
        foreach (var site in _profile.Sites)
        {
            var slide = address - site.LinkAddress;
            if (address >= site.LinkAddress && slide < LinuxProfile.KaslrMaxSlide && slide % LinuxProfile.KaslrAlignment == 0) return true;
        }
        return false;
    }

    public KernelDiscovery FindInCode(ulong address, ReadOnlySpan<byte> code)
    {
        foreach (var site in _profile.Sites)
        {
            if (!KaslrSlideFinder.TryMatch(site, address, code, out var slide)) continue;
            return Arm(slide, [Described(slide, $"{site.Symbol} recognised by its code")], []);
        }
        return KernelDiscovery.Failure($"no site of the Linux profile {_source} at 0x{address:x}");
    }

    /// <summary>None: the slide is found by reading the kernel's code, through the vCPU's page tables.</summary>
    public RegisterSet DiscoveryRegisters => RegisterSet.None;

    /// <summary>Tries every 2 MiB-aligned slide under 1 GiB for the ENTER site's code (at most 512 small reads), then
    /// checks every other site matches at that slide.</summary>
    public KernelDiscovery Find(in VcpuState cpu, IVirtualMemory memory)
    {
        var enter = _profile.Site(SiteKind.Enter);
        if (KaslrSlideFinder.Scan(enter, memory) is not { } slide)
        {
            return KernelDiscovery.Failure($"the running kernel is not the one of the Linux profile {_source} (release {Release}): " +
                $"{enter.Symbol}'s code (link address 0x{enter.LinkAddress:x}) is at no 2 MiB-aligned KASLR slide under 1 GiB. " +
                "Pass --profile FILE of this kernel, or --vmlinux FILE --kallsyms FILE " +
                "(its vmlinux with BTF, and /proc/kallsyms of a nokaslr boot or its System.map)");
        }
        var warnings = new List<string>();
        Span<byte> code = stackalloc byte[LinuxProfile.FingerprintSkip + 16];
        foreach (var site in _profile.Sites)
        {
            var at = site.LinkAddress + slide;
            var want = code[..(LinuxProfile.FingerprintSkip + Math.Min(site.Fingerprint.Length, 16))];
            if (memory.Read(at, want) != want.Length || !KaslrSlideFinder.TryMatch(site, at, want, out var s) || s != slide)
            {
                return KernelDiscovery.Failure($"the running kernel is not the one of the Linux profile {_source} (release {Release}): " +
                    $"{enter.Symbol} matches at KASLR slide 0x{slide:x}, but {site.Symbol}'s code at 0x{at:x} does not", final: true);
            }
            if (!want[..5].SequenceEqual(X86Code.Nop5))
                warnings.Add($"{site.Symbol} does not start with the 5-byte NOP ({Convert.ToHexStringLower(want[..5])}; ftrace may be using it): " +
                    "a hook that steps over it single-steps the vCPU");
        }
        return Arm(slide, [Described(slide, $"found through vCPU {cpu.CpuIndex}")], warnings);
    }

    private string Described(ulong slide, string how)
    {
        var enter = _profile.Site(SiteKind.Enter);
        return $"KASLR slide 0x{slide:x} ({enter.Symbol} at 0x{enter.LinkAddress + slide:x}, {how})" +
            (slide == 0 ? "; no randomisation (nokaslr or a PVH boot)" : "");
    }

    private KernelDiscovery Arm(ulong slide, List<string> notes, List<string> warnings)
    {
        notes.Insert(0, $"profile {_source}: release {Release}, {_profile.Syscalls64.Entries().Count()} 64-bit calls");
        Tracer.Slide = slide;
        var found = KernelDiscovery.Success([.. _profile.Sites.Select(s => s.At(slide))]) with { Notes = notes, Warnings = warnings, Slide = slide };
        _found = found;
        return found;
    }

    private string Release => _profile.KernelRelease.Length > 0 ? _profile.KernelRelease : "unknown";

    /// <summary>RDI (pt_regs) and GS_BASE (current_task) at every site; ESI (the number) at ENTER only when pt_regs is
    /// not read for every call; CR3 with <c>cr3=on</c>.</summary>
    public RegisterSet RegistersAt(SiteKind kind)
    {
        var set = RegisterSet.Rdi | RegisterSet.GsBase;
        if (kind != SiteKind.Exit && !Tracer.ArgsForEveryCall) set |= RegisterSet.Rsi;
        if (_readCr3) set |= RegisterSet.Cr3;
        return set;
    }

    public bool OnHit(in HookSite site, in VcpuState cpu, IVirtualMemory memory, SyscallRecord record) =>
        _found is not null && Tracer.OnHit(site.Kind, cpu, memory, record);

    public void HitsMissed() => Tracer.ForgetTasks();

    public string Describe() => _found is null
        ? $"Linux profile {_source} (release {Release}): KASLR slide not found yet"
        : $"Linux {Release}, KASLR slide 0x{Slide:x}, sites {string.Join(", ", _found.Sites.Select(s => $"{s.Name}@0x{s.Address:x}"))}";
}
