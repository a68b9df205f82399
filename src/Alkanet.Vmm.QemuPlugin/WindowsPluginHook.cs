using System.Diagnostics;
using System.Runtime.InteropServices;
using Alkanet.Core.Records;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Windows;
using Alkanet.Introspection.Windows.Live;
using Alkanet.Vmm.Ring;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>
/// The plugin's Windows mode (<c>os=windows</c>). Two phases:
/// <list type="number">
/// <item>Discovery: at translation time one exec callback (with register reads) goes on the first instruction of
/// every kernel-half block. It costs a flag check and a clock read per execution; at most every
/// <see cref="AttemptInterval"/> one vCPU tries <see cref="WindowsLiveHook.TryDiscover"/> (KPCR from GS_BASE or
/// KERNEL_GS_BASE, KPCR.IdtBase, IDT vector 0, ntoskrnl's header, its PDB, the ISF). A failed attempt is counted
/// and retried (early boot has no KPCR yet).</item>
/// <item>Tracing: once found, the discovery callbacks must go and the two sites may already be translated without a
/// callback, so the exec callback calls <c>qemu_plugin_reset</c> (QEMU then unregisters every callback of the plugin
/// and flushes all translated code, in an exclusive section, and calls <see cref="OnReset"/>, where the tracing
/// callbacks are registered). Not from a translation callback: QEMU aborts there (QEMU issue 2570).</item>
/// </list>
/// Each hit reads only what the decoder needs and writes the record into the ring as the Linux mode does (pause and
/// process filter respected). Every callback catches everything.
/// </summary>
internal static unsafe class WindowsPluginHook
{
    private const ulong KernelHalf = 0xFFFF800000000000;
    private static readonly long AttemptInterval = Stopwatch.Frequency / 20; // 50 ms
    private const long SlowDownAfter = 200;
    private static WindowsLiveHook? s_hook;
    private static TraceRing? s_ring;
    private static Slot[] s_vcpus = [];
    private static int s_phase; // 0 discovering, 1 reset requested, 2 tracing
    private static long s_nextAttempt;
    private static ulong s_enter, s_exit;
    private static int s_stage = 2; // bench/live-windows-synthetic.sh measures the stages: 0 = callback only, 1 = + decode, 2 = + ring write

    private sealed class Slot
    {
        public readonly QemuGuestMemory Memory = new();
        public readonly QemuRegisters Registers = new();
        public readonly SyscallRecord Record = new();
    }

    /// <summary>Arguments: <c>ring=FILE[,profiles=DIR][,cr3=on][,args=all|decoded][,stage=hit|decode|full]</c>.</summary>
    public static int Install(ulong id, int maxVcpus, IReadOnlyDictionary<string, string> args)
    {
        if (!args.TryGetValue("ring", out var ringPath))
        {
            Console.Error.WriteLine("alkanet plugin: os=windows needs ring=FILE");
            return -1;
        }
        var store = new ProfileStore(args.TryGetValue("profiles", out var dir) && dir.Length > 0 ? dir : null);
        var options = new WindowsDecoderOptions { CaptureArgs = args.TryGetValue("args", out var a) && a == "all" };
        s_hook = new WindowsLiveHook(store, options, readCr3: args.TryGetValue("cr3", out var c) && c is "on" or "1" or "true");
        s_stage = args.GetValueOrDefault("stage") switch { "hit" => 0, "decode" => 1, _ => 2 };
        s_ring = TraceRing.Open(ringPath);
        s_vcpus = new Slot[Math.Clamp(maxVcpus, 1, 1024)];
        QemuApi.RegisterVcpuInit(id, &OnVcpuInit);
        QemuApi.RegisterTbTrans(id, &OnTranslateDiscover);
        QemuApi.RegisterAtexit(id, &OnExit, null);
        s_ring.OsStatus = s_hook.Describe();
        s_ring.PluginState = RingLayout.PluginLoaded;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static void OnVcpuInit(ulong id, uint vcpu)
    {
        try
        {
            if (vcpu < s_vcpus.Length) s_vcpus[vcpu] ??= new Slot();
            var missing = QemuRegisters.Resolve();
            if (missing.Count > 0) Console.Error.WriteLine($"alkanet plugin: QEMU's register list lacks {string.Join(", ", missing)}");
        }
        catch (Exception e)
        {
            s_ring?.CountError();
            Console.Error.WriteLine($"alkanet plugin: vCPU {vcpu} init failed: {e.Message}");
        }
    }

    /// <summary>Discovery phase, translation time: one callback on the first instruction of each kernel-half block.</summary>
    [UnmanagedCallersOnly]
    private static void OnTranslateDiscover(ulong id, void* tb)
    {
        try
        {
            if (Volatile.Read(ref s_phase) != 0 || QemuApi.TbNInsns(tb) == 0) return;
            var insn = QemuApi.TbGetInsn(tb, 0);
            if (QemuApi.InsnVaddr(insn) < KernelHalf) return;
            QemuApi.RegisterInsnExec(insn, &OnDiscoverHit, QemuApi.CbReadRegs, (void*)(nint)(long)id);
        }
        catch (Exception)
        {
            s_ring?.CountError();
        }
    }

    [UnmanagedCallersOnly]
    private static void OnDiscoverHit(uint vcpu, void* userData)
    {
        try
        {
            if (Volatile.Read(ref s_phase) != 0 || vcpu >= s_vcpus.Length) return;
            var now = Stopwatch.GetTimestamp();
            var next = Volatile.Read(ref s_nextAttempt);
            var hook = s_hook!;
            // After many failures (e.g. a kernel with no ISF: each attempt scans for its header again) try once a second.
            var interval = hook.Failures > SlowDownAfter ? Stopwatch.Frequency : AttemptInterval;
            if (now < next || Interlocked.CompareExchange(ref s_nextAttempt, now + interval, next) != next) return;
            var slot = s_vcpus[vcpu] ??= new Slot();
            var ring = s_ring!;
            var found = hook.TryDiscover((int)vcpu, slot.Registers, slot.Memory);
            ring.DiscoveryAttempts = (ulong)hook.Attempts;
            ring.DiscoveryFailures = (ulong)hook.Failures;
            ring.OsStatus = hook.Describe();
            if (!found || Interlocked.CompareExchange(ref s_phase, 1, 0) != 0) return;
            var sites = hook.Kernel!.HookSites!;
            s_enter = sites.Enter;
            s_exit = sites.Exit;
            ring.KernelBase = hook.Kernel.KernelBase;
            ring.PluginState = RingLayout.PluginLoaded | RingLayout.PluginKernelFound;
            QemuApi.Print("alkanet plugin: windows: " + hook.Describe());
            QemuApi.Reset((ulong)(nint)userData, &OnReset);
        }
        catch (Exception)
        {
            s_ring?.CountError();
        }
    }

    /// <summary>QEMU has dropped every callback and all translated code: register the tracing phase's.</summary>
    [UnmanagedCallersOnly]
    private static void OnReset(ulong id)
    {
        try
        {
            QemuApi.RegisterVcpuInit(id, &OnVcpuInit);
            QemuApi.RegisterTbTrans(id, &OnTranslateTrace);
            QemuApi.RegisterAtexit(id, &OnExit, null);
            Volatile.Write(ref s_phase, 2);
        }
        catch (Exception e)
        {
            s_ring?.CountError();
            Console.Error.WriteLine($"alkanet plugin: re-registering after the reset failed: {e.Message}");
        }
    }

    /// <summary>Tracing phase, translation time: instrument the two site instructions only.</summary>
    [UnmanagedCallersOnly]
    private static void OnTranslateTrace(ulong id, void* tb)
    {
        try
        {
            var n = (int)QemuApi.TbNInsns(tb);
            if (n == 0 || QemuApi.InsnVaddr(QemuApi.TbGetInsn(tb, 0)) < KernelHalf) return;
            for (var i = 0; i < n; i++)
            {
                var insn = QemuApi.TbGetInsn(tb, (nuint)i);
                var va = QemuApi.InsnVaddr(insn);
                if (va == s_enter) QemuApi.RegisterInsnExec(insn, &OnHit, QemuApi.CbReadRegs, (void*)(nint)(int)HookSiteKind.Enter);
                else if (va == s_exit) QemuApi.RegisterInsnExec(insn, &OnHit, QemuApi.CbReadRegs, (void*)(nint)(int)HookSiteKind.Exit);
            }
        }
        catch (Exception)
        {
            s_ring?.CountError();
        }
    }

    [UnmanagedCallersOnly]
    private static void OnHit(uint vcpu, void* userData)
    {
        var ring = s_ring!;
        try
        {
            ring.CountHit();
            if (ring.Paused || vcpu >= s_vcpus.Length || s_stage == 0) return;
            var slot = s_vcpus[vcpu] ??= new Slot();
            var record = slot.Record;
            if (s_hook!.OnHit((int)vcpu, (HookSiteKind)(int)(nint)userData, slot.Registers, slot.Memory, record) && s_stage == 2) RingOutput.Publish(ring, record);
        }
        catch (Exception)
        {
            ring.CountError();
        }
    }

    [UnmanagedCallersOnly]
    private static void OnExit(ulong id, void* userData)
    {
        try
        {
            var ring = s_ring;
            if (ring is null || s_hook is null) return;
            ring.OsStatus = s_hook.Describe();
            QemuApi.Print($"alkanet plugin: windows: {ring.Hits} hits, {ring.TotalDropped} dropped, {ring.Errors} errors; {s_hook.Describe()}");
        }
        catch (Exception)
        {
            // QEMU is exiting; nothing useful can be done.
        }
    }
}
