using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Alkanet.Core.Records;
using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Linux;
using Alkanet.Vmm.Ring;

namespace Alkanet.Vmm.QemuPlugin;

/// <summary>
/// The in-QEMU hook. QEMU calls <see cref="Install"/> with the plugin arguments
/// (Linux, the default: <c>profile=FILE,ring=FILE[,cr3=on]</c>; Windows: <c>os=windows,ring=FILE[,profiles=DIR]</c>, see
/// <see cref="WindowsPluginHook"/>); at translation time the hook attaches an execution callback to the
/// profile's entry and exit site instructions only (recognising them, and so the KASLR slide, by their bytes);
/// each hit reads a few registers and guest memory, decodes the call with the shared Introspection code and
/// writes the record into the shared-memory ring the host drains. It never writes guest memory or registers.
/// Every callback catches everything: guest data can never take QEMU down through the hook.
/// </summary>
public static unsafe class HookPlugin
{
    private const ulong KernelHalf = 0xFFFF800000000000;
    private static LinuxSyscallTracer? s_tracer;
    private static TraceRing? s_ring;
    private static HookSite[] s_sites = [];
    private static ulong s_slide;
    private static int s_slideKnown;
    private static bool s_readCr3;
    private static bool s_allArgs = true;
    private static int s_stage = 2; // bench/live-getppid.sh measures the stages: 0 = callback only, 1 = + decode, 2 = + ring write
    private static void* s_regRdi, s_regRsi, s_regGsBase, s_regCr3;
    private static VcpuSlot[] s_vcpus = [];

    private sealed class VcpuSlot
    {
        public readonly QemuGuestMemory Memory = new();
        public readonly SyscallRecord Record = new();
        public readonly GByteArray* RegBuffer = (GByteArray*)QemuApi.GByteArrayNew();
        public ulong GsBase;
    }

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
            var args = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < argc; i++)
            {
                var arg = Marshal.PtrToStringUTF8((nint)argv[i]) ?? "";
                var eq = arg.IndexOf('=', StringComparison.Ordinal);
                args[eq < 0 ? arg : arg[..eq]] = eq < 0 ? "" : arg[(eq + 1)..];
            }
            var maxVcpus = info is null ? 1 : *(int*)((byte*)info + 24); // qemu_info_t.system.max_vcpus
            switch (args.GetValueOrDefault("os", "linux"))
            {
                case "windows": return WindowsPluginHook.Install(id, maxVcpus, args);
                case "linux": break;
                case var os: Console.Error.WriteLine($"alkanet plugin: unknown os '{os}' (linux or windows)"); return -1;
            }
            string? profilePath = null, ringPath = null;
            foreach (var (key, value) in args)
            {
                var arg = $"{key}={value}";
                switch (key)
                {
                    case "os": break;
                    case "profile": profilePath = value; break;
                    case "ring": ringPath = value; break;
                    case "cr3": s_readCr3 = value is "on" or "1" or "true"; break;
                    case "args": s_allArgs = value != "decoded"; break;
                    case "stage": s_stage = value switch { "hit" => 0, "decode" => 1, _ => 2 }; break;
                    default: Console.Error.WriteLine($"alkanet plugin: unknown argument '{arg}' (expected profile=FILE,ring=FILE[,cr3=on])"); return -1;
                }
            }
            if (profilePath is null || ringPath is null)
            {
                Console.Error.WriteLine("alkanet plugin: arguments profile=FILE and ring=FILE are required");
                return -1;
            }
            var profile = LinuxProfile.Load(profilePath);
            s_tracer = new LinuxSyscallTracer(profile) { ArgsForEveryCall = s_allArgs };
            s_sites = [.. profile.Sites];
            s_ring = TraceRing.Open(ringPath);
            s_vcpus = new VcpuSlot[Math.Clamp(maxVcpus, 1, 1024)];
            QemuApi.RegisterVcpuInit(id, &OnVcpuInit);
            QemuApi.RegisterTbTrans(id, &OnTranslate);
            QemuApi.RegisterAtexit(id, &OnExit, null);
            s_ring.PluginState = RingLayout.PluginLoaded;
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"alkanet plugin: cannot start: {e.Message}");
            return -1;
        }
    }

    [UnmanagedCallersOnly]
    private static void OnVcpuInit(ulong id, uint vcpu)
    {
        try
        {
            if (vcpu < s_vcpus.Length) s_vcpus[vcpu] ??= new VcpuSlot();
            if (s_regRdi != null) return;
            var handles = QemuRegisters.HandlesOf(["rdi", "rsi", "gs_base", "cr3"]);
            s_regRdi = (void*)handles[0];
            s_regRsi = (void*)handles[1];
            s_regGsBase = (void*)handles[2];
            s_regCr3 = (void*)handles[3];
            if (s_regRdi == null || s_regRsi == null || s_regGsBase == null)
                Console.Error.WriteLine("alkanet plugin: QEMU's register list lacks rdi, rsi or gs_base; nothing will be traced");
        }
        catch (Exception e)
        {
            s_ring?.CountError();
            Console.Error.WriteLine($"alkanet plugin: vCPU {vcpu} init failed: {e.Message}");
        }
    }

    /// <summary>Translation time: instrument the site instructions only.</summary>
    [UnmanagedCallersOnly]
    private static void OnTranslate(ulong id, void* tb)
    {
        try
        {
            var n = (int)QemuApi.TbNInsns(tb);
            if (n == 0) return;
            var first = QemuApi.InsnVaddr(QemuApi.TbGetInsn(tb, 0));
            if (first < KernelHalf) return; // user code: never instrumented
            for (var i = 0; i < n; i++)
            {
                var insn = QemuApi.TbGetInsn(tb, (nuint)i);
                var va = QemuApi.InsnVaddr(insn);
                if (Volatile.Read(ref s_slideKnown) == 0) TryFindSlide(tb, i, n, va);
                if (Volatile.Read(ref s_slideKnown) == 0) continue;
                for (var s = 0; s < s_sites.Length; s++)
                {
                    if (s_sites[s].LinkAddress + s_slide != va) continue;
                    QemuApi.RegisterInsnExec(insn, &OnHit, QemuApi.CbReadRegs, (void*)(nint)(int)s_sites[s].Role);
                }
            }
        }
        catch (Exception)
        {
            s_ring?.CountError();
        }
    }

    private static void TryFindSlide(void* tb, int index, int count, ulong va)
    {
        foreach (var site in s_sites)
        {
            var slide = va - site.LinkAddress;
            if (va < site.LinkAddress || slide >= LinuxProfile.KaslrMaxSlide || slide % LinuxProfile.KaslrAlignment != 0) continue;
            Span<byte> code = stackalloc byte[32];
            var have = 0;
            for (var j = index; j < count && have < code.Length; j++)
            {
                fixed (byte* dst = code[have..])
                    have += (int)QemuApi.InsnData(QemuApi.TbGetInsn(tb, (nuint)j), dst, (nuint)(code.Length - have));
            }
            if (!KaslrSlideFinder.TryMatch(site, va, code[..have], out slide)) continue;
            s_slide = slide;
            s_tracer!.Slide = slide;
            Volatile.Write(ref s_slideKnown, 1);
            s_ring!.Slide = slide;
            s_ring.PluginState = RingLayout.PluginLoaded | RingLayout.PluginSlideFound;
            return;
        }
    }

    /// <summary>A site executed: read the registers, decode, write the record.</summary>
    [UnmanagedCallersOnly]
    private static void OnHit(uint vcpu, void* userData)
    {
        var ring = s_ring!;
        try
        {
            ring.CountHit();
            if (ring.Paused || vcpu >= s_vcpus.Length || s_stage == 0) return;
            var slot = s_vcpus[vcpu] ??= new VcpuSlot();
            var role = (HookRole)(int)(nint)userData;
            var cpu = new VcpuState { CpuIndex = (int)vcpu, Known = KnownRegisters.General };
            cpu.Rdi = ReadRegister(slot, s_regRdi);
            if (!s_allArgs && role != HookRole.Exit) cpu.Rsi = ReadRegister(slot, s_regRsi); // the number, when pt_regs is not read
            if (slot.GsBase == 0) slot.GsBase = ReadRegister(slot, s_regGsBase); // the kernel's per-cpu base: fixed per vCPU
            cpu.GsBase = slot.GsBase;
            if (s_readCr3 && s_regCr3 != null)
            {
                cpu.Cr3 = ReadRegister(slot, s_regCr3);
                cpu.Known |= KnownRegisters.Control;
            }
            var record = slot.Record;
            if (!s_tracer!.OnHit(role, cpu, slot.Memory, record) || s_stage == 1) return;
            RingOutput.Publish(ring, record);
        }
        catch (Exception)
        {
            ring.CountError();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadRegister(VcpuSlot slot, void* handle) => QemuRegisters.ReadWith(handle, slot.RegBuffer);

    [UnmanagedCallersOnly]
    private static void OnExit(ulong id, void* userData)
    {
        try
        {
            var ring = s_ring;
            if (ring is null) return;
            QemuApi.Print($"alkanet plugin: {ring.Hits} hits, {ring.TotalDropped} dropped, {ring.Errors} errors, slide {ring.Slide:x}");
        }
        catch (Exception)
        {
            // QEMU is exiting; nothing useful can be done.
        }
    }
}
