using System.Text;
using Iced.Intel;
using static Iced.Intel.AssemblerRegisters;

namespace Alkanet.Introspection.TestKit.Boot;

/// <summary>The UEFI application that boots the synthetic guest: it reserves the guest's physical window with
/// BootServices->AllocatePages(AllocateAddress), zeroes it, copies the guest's frames there (embedded in the image
/// as runs of address, length, bytes) and jumps to the trampoline, which switches to the guest's page tables and
/// descriptor tables, programs the syscall MSRs and SYSRETs into the sample. Position-independent code only
/// (RIP-relative data), so the firmware may load it anywhere without relocations.
/// UEFI table offsets from the UEFI 2.x specification (EFI_SYSTEM_TABLE, EFI_BOOT_SERVICES, EFI_RUNTIME_SERVICES).</summary>
internal static class EfiLoader
{
    private const int SystemTableConOut = 0x40, SystemTableRuntime = 0x58, SystemTableBoot = 0x60;
    private const int BootAllocatePages = 0x28, RuntimeResetSystem = 0x68, TextOutputString = 0x08;
    private const uint AllocateAddress = 2, EfiLoaderCode = 1; // loader code: executable under OVMF's NX policy
    private const uint EfiResetShutdown = 2;

    public const string Banner = "alkanet synthetic guest: UEFI loader started\r\n";
    public const string Jumping = "alkanet synthetic guest: guest memory in place, entering the synthetic kernel\r\n";
    public const string AllocateFailed = "alkanet synthetic guest: AllocatePages(AllocateAddress) failed for the guest window; give the VM more memory (-m 512M or more)\r\n";

    /// <summary>The application's code and data (one section) and the entry point's offset in it.</summary>
    public static (byte[] Section, int Entry) Build(ulong windowStart, ulong windowEnd, IEnumerable<(ulong Address, byte[] Contents)> frames, ulong trampoline)
    {
        var blob = FrameRuns(frames);
        var pages = (windowEnd - windowStart) / 4096;
        // Assembled at 0: the code is position independent, so the section works at any load address.
        var code = CodeEmitter.Assemble(0, a =>
        {
            var banner = a.CreateLabel();
            var jumping = a.CreateLabel();
            var failed = a.CreateLabel();
            var failedWide = a.CreateLabel();
            var runs = a.CreateLabel();
            var serial = a.CreateLabel();
            var fail = a.CreateLabel();
            var copy = a.CreateLabel();
            var copied = a.CreateLabel();
            var hang = a.CreateLabel();

            a.push(rbx);
            a.push(rsi);
            a.push(rdi);
            a.sub(rsp, 0x30); // home space + one slot, 16-byte aligned for calls
            a.mov(rbx, rdx); // EFI_SYSTEM_TABLE
            a.lea(r9, __[banner]);
            a.mov(r8, (ulong)Banner.Length);
            a.call(serial);

            a.mov(rax, windowStart);
            a.mov(__qword_ptr[rsp + 0x28], rax);
            a.mov(ecx, AllocateAddress);
            a.mov(edx, EfiLoaderCode);
            a.mov(r8, pages);
            a.lea(r9, __[rsp + 0x28]);
            a.mov(rax, __qword_ptr[rbx + SystemTableBoot]);
            a.call(__qword_ptr[rax + BootAllocatePages]);
            a.test(rax, rax);
            a.jnz(fail);

            a.cli();
            a.cld();
            a.mov(rdi, windowStart);
            a.mov(rcx, (windowEnd - windowStart) / 8);
            a.xor(eax, eax);
            a.rep.stosq();
            a.lea(rsi, __[runs]);
            a.Label(ref copy);
            a.mov(rdi, __qword_ptr[rsi]);
            a.mov(rcx, __qword_ptr[rsi + 8]);
            a.add(rsi, 16);
            a.test(rcx, rcx);
            a.jz(copied);
            a.rep.movsb();
            a.jmp(copy);
            a.Label(ref copied);
            a.lea(r9, __[jumping]);
            a.mov(r8, (ulong)Jumping.Length);
            a.call(serial);
            a.mov(rax, trampoline);
            a.jmp(rax);

            a.Label(ref fail);
            a.mov(rsi, rax); // the EFI_STATUS
            a.lea(r9, __[failed]);
            a.mov(r8, (ulong)AllocateFailed.Length);
            a.call(serial);
            a.mov(rcx, __qword_ptr[rbx + SystemTableConOut]);
            a.lea(rdx, __[failedWide]);
            a.call(__qword_ptr[rcx + TextOutputString]);
            a.mov(rax, __qword_ptr[rbx + SystemTableRuntime]);
            a.mov(ecx, EfiResetShutdown);
            a.mov(rdx, rsi);
            a.xor(r8d, r8d);
            a.xor(r9d, r9d);
            a.call(__qword_ptr[rax + RuntimeResetSystem]);
            a.Label(ref hang);
            a.hlt();
            a.jmp(hang);

            // serial: r9 = text, r8 = length → COM1 (OVMF has set the UART up).
            a.Label(ref serial);
            SyntheticKernelCode.EmitSerialWrite(a);

            a.Label(ref banner);
            a.db(Encoding.ASCII.GetBytes(Banner));
            a.Label(ref jumping);
            a.db(Encoding.ASCII.GetBytes(Jumping));
            a.Label(ref failed);
            a.db(Encoding.ASCII.GetBytes(AllocateFailed));
            a.Label(ref failedWide);
            a.db(Encoding.Unicode.GetBytes(AllocateFailed + "\0"));
            a.Label(ref runs); // 8-byte aligned by construction below
            a.db(blob);
        });
        return (code, 0);
    }

    /// <summary>Contiguous written frames merged into runs: (u64 address, u64 length, bytes)*, then (0, 0).</summary>
    internal static byte[] FrameRuns(IEnumerable<(ulong Address, byte[] Contents)> frames)
    {
        using var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        var run = new List<byte[]>();
        ulong runStart = 0, runEnd = 0;
        void Flush()
        {
            if (run.Count == 0) return;
            w.Write(runStart);
            w.Write(runEnd - runStart);
            foreach (var f in run) w.Write(f);
            run.Clear();
        }
        foreach (var (address, contents) in frames.OrderBy(f => f.Address))
        {
            if (run.Count == 0 || address != runEnd)
            {
                Flush();
                runStart = address;
                runEnd = address;
            }
            run.Add(contents);
            runEnd += (ulong)contents.Length;
        }
        Flush();
        w.Write(0UL);
        w.Write(0UL);
        return ms.ToArray();
    }

    /// <summary>The trampoline, run from a page mapped at the same address in the firmware's identity map and in the
    /// sample's page tables: CR3 switch, GDT/TSS/IDT, syscall MSRs, GS bases as user mode has them (GS = TEB,
    /// KERNEL_GS_BASE = KPCR), then SYSRETQ to the sample's entry with interrupts off.</summary>
    public static byte[] Trampoline(ulong va, TrampolineTarget t) => CodeEmitter.Assemble(va, a =>
    {
        var reloaded = a.CreateLabel();
        var message = a.CreateLabel();
        a.cli();
        a.mov(rax, cr4);
        a.and(rax, ~((1 << 20) | (1 << 21) | (1 << 17))); // no SMEP/SMAP/PCID: the sample's pages are user pages
        a.mov(cr4, rax);
        a.mov(rax, t.Cr3);
        a.mov(cr3, rax);
        a.mov(rsp, t.KernelStack);
        a.mov(rax, t.Gdtr);
        a.lgdt(__[rax]);
        a.push(SyntheticKernelCode.KernelCs);
        a.lea(rax, __[reloaded]);
        a.push(rax);
        a.db(0x48, 0xCB); // retfq: reload CS from the new GDT
        a.Label(ref reloaded);
        a.mov(ax, SyntheticKernelCode.KernelSs);
        a.mov(ss, ax);
        a.mov(ax, SyntheticKernelCode.UserDs);
        a.mov(ds, ax);
        a.mov(es, ax);
        a.mov(fs, ax);
        a.mov(gs, ax);
        a.mov(ax, SyntheticKernelCode.TssSelector);
        a.ltr(ax);
        a.mov(rax, t.Idtr);
        a.lidt(__[rax]);
        a.mov(ecx, 0xC000_0080); // EFER.SCE
        a.rdmsr();
        a.or(eax, 1);
        a.wrmsr();
        WriteMsr(a, 0xC000_0081, SyntheticKernelCode.Star);
        WriteMsr(a, 0xC000_0082, t.Lstar);
        WriteMsr(a, 0xC000_0084, SyntheticKernelCode.SfMask);
        WriteMsr(a, 0xC000_0101, t.Teb); // GS_BASE as in user mode
        WriteMsr(a, 0xC000_0102, t.Kpcr); // KERNEL_GS_BASE: swapgs at KiSystemCall64 makes it GS
        a.lea(r9, __[message]);
        a.mov(r8, (ulong)TrampolineMessage.Length);
        a.call(t.SerialWrite);
        if (t.WaitForStart is { } wait) a.call(wait); // a snapshot's idle point: resumes on the start key
        a.mov(rcx, t.UserEntry);
        a.mov(r11, 0x2UL); // RFLAGS: interrupts stay off (the guest programs no interrupt source)
        a.mov(rsp, t.UserStack);
        if (t.UserCr3 is { } user)
        {
            a.mov(rax, user); // KVA shadow: user mode runs on the user tables (this page is mapped there too)
            a.mov(cr3, rax);
        }
        a.sysretq();
        a.Label(ref message);
        a.db(Encoding.ASCII.GetBytes(TrampolineMessage));
    });

    public const string TrampolineMessage = "alkanet synthetic kernel: descriptor tables and syscall MSRs set, sysret to sample.exe\r\n";

    private static void WriteMsr(Assembler a, uint msr, ulong value)
    {
        a.mov(ecx, msr);
        a.mov(eax, (uint)value);
        a.mov(edx, (uint)(value >> 32));
        a.wrmsr();
    }
}

internal sealed record TrampolineTarget(ulong Cr3, ulong KernelStack, ulong Gdtr, ulong Idtr, ulong Lstar, ulong Teb, ulong Kpcr,
    ulong SerialWrite, ulong UserEntry, ulong UserStack, ulong? UserCr3, ulong? WaitForStart = null);
