using System.Diagnostics;
using System.Runtime.InteropServices;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Hooks;
using Alkanet.Introspection.Memory;
using Alkanet.Ring;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>
/// The in-QEMU hook, one dispatcher for any OS of <see cref="GuestOsRegistry"/>. QEMU calls <see cref="Install"/> with
/// the plugin arguments (<see cref="PluginArguments"/>). Two phases:
/// <list type="number">
/// <item>Discovery, the way the OS can (<see cref="IGuestOs"/>). By code (Linux): at translation time each kernel
/// instruction that could be a site has its bytes matched (<see cref="IGuestOs.FindInCode"/>); no callback at all, and
/// the block that holds the first site is instrumented at once. By state (Windows): one exec callback (with register
/// reads) on the first instruction of every kernel-half block; at most every <see cref="AttemptInterval"/> one vCPU
/// tries <see cref="IGuestOs.Find"/>. Once found, the discovery callbacks must go and the sites may already be
/// translated without a callback, so the callback calls <c>qemu_plugin_reset</c> (QEMU unregisters every callback
/// and flushes all translated code in an exclusive section, then calls <see cref="OnReset"/>, which registers the
/// tracing callbacks). Not from a translation callback: QEMU aborts there (QEMU issue 2570).</item>
/// <item>Tracing: an exec callback on each site instruction only; a hit reads the registers the OS asks for at that
/// kind of site (<see cref="IGuestOs.RegistersAt"/>), the OS decodes the record, and it goes into the shared-memory
/// ring the host drains (pause and process filter respected).</item>
/// </list>
/// It never writes guest memory or registers. Every callback catches everything: guest data can never take QEMU down.
/// </summary>
public static unsafe class HookPlugin
{
    private const ulong KernelHalf = 0xFFFF800000000000;
    private const int Discovering = 0, ResetRequested = 1, Tracing = 2;
    private const long SlowDownAfter = 200;
    private static readonly long AttemptInterval = Stopwatch.Frequency / 20; // 50 ms
    private static IGuestOs? s_os;
    private static DiscoveryTurns? s_turns;
    private static TraceRing? s_ring;
    private static HookStage s_stage = HookStage.Full;
    private static SiteTable s_sites = SiteTable.Empty;
    private static readonly RegisterSet[] s_needs = new RegisterSet[3]; // by SiteKind
    private static RegisterSet s_discoveryNeeds;
    private static VcpuSlot[] s_vcpus = [];
    private static SharedRamFilePhysicalMemory? s_ram;
    private static int s_missedHits;
    private static int s_phase;
    private static long s_nextAttempt;

    [UnmanagedCallersOnly(EntryPoint = "qemu_plugin_install")]
    public static int Install(ulong id, void* info, int argc, byte** argv)
    {
        try
        {
            var missing = QemuApi.Resolve();
            if (missing is not null)
            {
                Console.Error.WriteLine($"alkanet plugin: QEMU does not export {missing} (QEMU >= 10.0 with plugin API 4 is required)");
                return -1;
            }
            var raw = new string[argc];
            for (var i = 0; i < argc; i++) raw[i] = Marshal.PtrToStringUTF8((nint)argv[i]) ?? "";
            var args = PluginArguments.Parse(raw, out var error);
            var factory = args is null ? null : GuestOsRegistry.Find(args.Os, out error);
            if (args is null || factory is null)
            {
                Console.Error.WriteLine($"alkanet plugin: {error}");
                return -1;
            }
            var os = factory(args.Settings);
            foreach (var kind in Enum.GetValues<SiteKind>()) s_needs[(int)kind] = os.RegistersAt(kind);
            s_discoveryNeeds = os.SiteCodeLength > 0 ? RegisterSet.None : os.DiscoveryRegisters;
            s_os = os;
            s_turns = new DiscoveryTurns(os);
            s_stage = args.Stage;
            s_ring = TraceRing.Open(args.RingPath);
            if (args.RamPath is { } ram)
                s_ram = new SharedRamFilePhysicalMemory(ram, QemuRamLayout.Q35((ulong)new FileInfo(ram).Length));
            var maxVcpus = info is null ? 1 : *(int*)((byte*)info + 24); // qemu_info_t.system.max_vcpus
            s_vcpus = new VcpuSlot[Math.Clamp(maxVcpus, 1, 1024)];
            Register(id);
            s_ring.OsStatus = s_turns.Describe();
            s_ring.PluginState = RingLayout.PluginLoaded;
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"alkanet plugin: cannot start: {e.Message}");
            return -1;
        }
    }

    private static void Register(ulong id)
    {
        QemuApi.RegisterVcpuInit(id, &OnVcpuInit);
        QemuApi.RegisterTbTrans(id, &OnTranslate);
        QemuApi.RegisterAtexit(id, &OnExit, null);
    }

    [UnmanagedCallersOnly]
    private static void OnVcpuInit(ulong id, uint vcpu)
    {
        try
        {
            var needed = s_discoveryNeeds | s_needs[0] | s_needs[1] | s_needs[2];
            var lacking = QemuRegisters.Resolve(needed);
            if (lacking.Count > 0) Console.Error.WriteLine($"alkanet plugin: QEMU's register list lacks {string.Join(", ", lacking)}");
            if (s_ram is not null && !QemuRegisters.Have(RegisterSet.Cr3 | RegisterSet.Cr4))
            {
                Console.Error.WriteLine("alkanet plugin: QEMU's register list lacks CR3 or CR4: guest memory is read through QEMU only");
                s_ram = null;
            }
            if (vcpu < s_vcpus.Length) s_vcpus[vcpu] ??= NewSlot();
        }
        catch (Exception e)
        {
            s_ring?.CountError();
            Console.Error.WriteLine($"alkanet plugin: vCPU {vcpu} init failed: {e.Message}");
        }
    }

    /// <summary>Translation time: discovery by code, or the discovery callback; then the site instructions only.</summary>
    [UnmanagedCallersOnly]
    private static void OnTranslate(ulong id, void* tb)
    {
        try
        {
            var n = (int)QemuApi.TbNInsns(tb);
            if (n == 0) return;
            var first = QemuApi.TbGetInsn(tb, 0);
            if (QemuApi.InsnVaddr(first) < KernelHalf) return; // user code: never instrumented
            var os = s_os!;
            if (Volatile.Read(ref s_phase) != Tracing && os.SiteCodeLength == 0)
            {
                if (Volatile.Read(ref s_phase) == Discovering)
                    QemuApi.RegisterInsnExec(first, &OnDiscoverHit, QemuApi.CbReadRegs, (void*)(nint)(long)id);
                return;
            }
            for (var i = 0; i < n; i++)
            {
                var insn = QemuApi.TbGetInsn(tb, (nuint)i);
                var va = QemuApi.InsnVaddr(insn);
                if (Volatile.Read(ref s_phase) == Discovering)
                {
                    if (!os.CouldBeSite(va)) continue;
                    TryFindInCode(os, tb, i, n, va);
                    if (Volatile.Read(ref s_phase) != Tracing) continue;
                }
                var site = s_sites.IndexOf(va);
                if (site >= 0) QemuApi.RegisterInsnExec(insn, &OnHit, QemuApi.CbReadRegs, (void*)(nint)site);
            }
        }
        catch (Exception)
        {
            s_ring?.CountError();
        }
    }

    private static void TryFindInCode(IGuestOs os, void* tb, int index, int count, ulong va)
    {
        Span<byte> code = stackalloc byte[os.SiteCodeLength];
        var have = 0;
        for (var j = index; j < count && have < code.Length; j++)
        {
            fixed (byte* dst = code[have..])
                have += (int)QemuApi.InsnData(QemuApi.TbGetInsn(tb, (nuint)j), dst, (nuint)(code.Length - have));
        }
        var found = os.FindInCode(va, code[..have]);
        if (found.Found) Publish(found, Tracing);
    }

    /// <summary>Discovery by state: one vCPU at a time, throttled, tries <see cref="IGuestOs.Find"/>.</summary>
    [UnmanagedCallersOnly]
    private static void OnDiscoverHit(uint vcpu, void* userData)
    {
        try
        {
            if (Volatile.Read(ref s_phase) != Discovering || vcpu >= s_vcpus.Length) return;
            var now = Stopwatch.GetTimestamp();
            var next = Volatile.Read(ref s_nextAttempt);
            var turns = s_turns!;
            // After many failures (e.g. a kernel with no symbol table: each attempt scans again) try once a second.
            var interval = turns.Failures > SlowDownAfter ? Stopwatch.Frequency : AttemptInterval;
            if (now < next || Interlocked.CompareExchange(ref s_nextAttempt, now + interval, next) != next) return;
            var slot = s_vcpus[vcpu] ??= NewSlot();
            var cpu = new VcpuState { CpuIndex = (int)vcpu, Known = KnownRegisters.General };
            QemuRegisters.FillFresh(s_discoveryNeeds, slot, ref cpu);
            var ring = s_ring!;
            var found = turns.TryFind(cpu, slot.QemuMemory); // early boot: paging may still change, so QEMU walks
            ring.DiscoveryAttempts = (ulong)turns.Attempts;
            ring.DiscoveryFailures = (ulong)turns.Failures;
            ring.OsStatus = turns.Describe();
            if (!found || Volatile.Read(ref s_phase) != Discovering) return;
            Publish(s_os!.Found!, ResetRequested);
            QemuApi.Print($"alkanet plugin: {s_os.Name}: {turns.Describe()}");
            QemuApi.Reset((ulong)(nint)userData, &OnReset);
        }
        catch (Exception)
        {
            s_ring?.CountError();
        }
    }

    /// <summary>The sites are known: the table first, then the phase (a translation that sees the phase sees the table).</summary>
    private static void Publish(KernelDiscovery found, int phase)
    {
        s_sites = new SiteTable(found.Sites);
        var ring = s_ring!;
        var state = RingLayout.PluginLoaded;
        if (found.Slide is { } slide) { ring.Slide = slide; state |= RingLayout.PluginSlideFound; }
        if (found.KernelBase is { } kernelBase) { ring.KernelBase = kernelBase; state |= RingLayout.PluginKernelFound; }
        ring.OsStatus = s_turns!.Describe();
        ring.PluginState = state;
        Volatile.Write(ref s_phase, phase);
    }

    /// <summary>QEMU has dropped every callback and all translated code: register the tracing phase's.</summary>
    [UnmanagedCallersOnly]
    private static void OnReset(ulong id)
    {
        try
        {
            Volatile.Write(ref s_phase, Tracing);
            Register(id);
        }
        catch (Exception e)
        {
            s_ring?.CountError();
            Console.Error.WriteLine($"alkanet plugin: re-registering after the reset failed: {e.Message}");
        }
    }

    /// <summary>A site executed: read the registers its kind needs, decode, write the record.</summary>
    [UnmanagedCallersOnly]
    private static void OnHit(uint vcpu, void* userData)
    {
        var ring = s_ring!;
        try
        {
            ring.CountHit();
            if (ring.Paused)
            {   // what these hits would have shown (an exit, a rename) is not seen: the OS's caches must not trust it
                Volatile.Write(ref s_missedHits, 1);
                return;
            }
            if (vcpu >= s_vcpus.Length || s_stage == HookStage.Hit) return;
            if (Volatile.Read(ref s_missedHits) != 0 && Interlocked.Exchange(ref s_missedHits, 0) != 0) s_os!.HitsMissed();
            var slot = s_vcpus[vcpu] ??= NewSlot();
            ref readonly var site = ref s_sites[(int)(nint)userData];
            var cpu = new VcpuState { CpuIndex = (int)vcpu, Known = KnownRegisters.General };
            QemuRegisters.Fill(s_needs[(int)site.Kind], slot, ref cpu);
            slot.BeginHit((cpu.Known & KnownRegisters.Control) != 0 ? cpu.Cr3 : 0);
            var record = slot.Record;
            if (!s_os!.OnHit(site, cpu, slot.Memory, record) || s_stage == HookStage.Decode) return;
            RingOutput.Publish(ring, record, slot.Strings);
        }
        catch (Exception)
        {
            ring.CountError();
        }
    }

    private static VcpuSlot NewSlot() => new(s_ram);

    [UnmanagedCallersOnly]
    private static void OnExit(ulong id, void* userData)
    {
        try
        {
            var ring = s_ring;
            if (ring is null || s_turns is null) return;
            ring.OsStatus = s_turns.Describe();
            QemuApi.Print($"alkanet plugin: {s_turns.Os.Name}: {ring.Hits} hits, {ring.TotalDropped} dropped, {ring.Errors} errors; " +
                s_turns.Describe());
        }
        catch (Exception)
        {
            // QEMU is exiting; nothing useful can be done.
        }
    }
}
