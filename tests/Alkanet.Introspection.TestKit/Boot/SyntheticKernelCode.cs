using System.Text;
using Iced.Intel;
using Alkanet.Introspection.Syscalls;
using static Iced.Intel.AssemblerRegisters;

namespace Alkanet.Introspection.TestKit.Boot;

/// <summary>The kernel half of the bootable guest: real x86-64 code at the ISF's symbol addresses inside the kit's
/// kernel image, so a hook on KiSystemCall64 and on the return site after KiSystemServiceCopyEnd's <c>call r10</c>
/// sees the same registers and structures as on Windows: KiSystemCall64 (swapgs, KPCR.UserRsp, KPRCB.RspBase,
/// KTRAP_FRAME Rip/EFlags/Rsp, KTHREAD.SystemCallNumber), KiSystemServiceUser (copies the stack arguments, looks the
/// service up in KiServiceTable with Windows' compressed entries), the call and KiSystemServiceExit (sysretq).
/// Descriptor tables (GDT with Windows' selectors, TSS, IDT at KPCR.IdtBase with vector 0 at KiDivideErrorFault)
/// and a handful of services that honour their calls cheaply.</summary>
internal sealed class SyntheticKernelCode
{
    public const ushort KernelCs = 0x10, KernelSs = 0x18, UserCs32 = 0x23, UserDs = 0x2B, UserCs64 = 0x33, TssSelector = 0x40;
    public const ulong Star = ((ulong)UserCs32 << 48) | ((ulong)KernelCs << 32); // sysret: CS 0x33, SS 0x2B
    public const ulong SfMask = 0x4700; // TF, IF, DF, NT cleared on entry (Windows' value)
    public const uint StatusNotImplemented = 0xC000_0002;
    /// <summary>Where NtAllocateVirtualMemory places a region when the caller lets it choose.</summary>
    public const ulong AllocationBase = 0x0000_0000_2000_0000;
    /// <summary>ICH9 (q35) ACPI PM1a control block as OVMF programs it (PMBASE 0x600 + 4); SLP_EN with SLP_TYP 0 is
    /// QEMU's soft-off.</summary>
    public const ushort Pm1aControlPort = 0x604;
    public const ushort SleepEnable = 0x2000;
    public const ushort Com1 = 0x3F8;
    private const int StackArgsCopied = 10;
    private const int DispatchFrame = 0x20 + (StackArgsCopied * 8); // home space + copied arguments (16-aligned)

    private readonly SyntheticWindowsGuest _g;
    private readonly CodeEmitter _emit;
    private readonly SyscallTable _table;
    private ulong _codeNext, _dataNext;
    private readonly bool _kva;
    private readonly List<(ulong Va, ulong Length)> _shadow = [];

    public SyntheticKernelCode(SyntheticWindowsGuest guest, SyscallTable table, CodeEmitter emitter)
    {
        _g = guest;
        _table = table;
        _emit = emitter;
        _kva = guest.Options.KvaShadow;
        // Helpers and data the ISF has no symbol for go in the last 64 KiB of the image the kit maps (code and data
        // apart: a helper's text is placed while the helper is being assembled).
        _codeNext = guest.KernelBase + guest.ImageSize - 0x1_0000;
        _dataNext = guest.KernelBase + guest.ImageSize - 0x8000;
    }

    public ulong Gdtr { get; private set; }
    public ulong Idtr { get; private set; }
    public ulong IdtBase { get; private set; }
    public ulong SerialWrite { get; private set; }
    public ulong PowerOff { get; private set; }
    public ulong HandleQueue { get; private set; }
    public ulong NotImplemented { get; private set; }
    /// <summary>KiWaitForStart: prints <see cref="WaitingForStartMessage"/>, then idles in the kernel half until a key
    /// reaches the i8042 (the snapshot's start signal, see <see cref="SyntheticBootOptions.WaitForStartKey"/>).</summary>
    public ulong WaitForStart { get; private set; }

    public const string WaitingForStartMessage = "alkanet synthetic kernel: idle, waiting for the start key\r\n";
    public const string StartedMessage = "alkanet synthetic kernel: start key received\r\n";
    private const byte I8042Data = 0x60, I8042Status = 0x64;

    /// <summary>With KVA shadow: the kernel ranges the user page tables must map too (entry and exit stubs, exception
    /// path, descriptor tables, the KPCR page with the shadow fields, the stack exceptions land on).</summary>
    public IReadOnlyList<(ulong Va, ulong Length)> ShadowRanges => _shadow;

    private ulong Sym(string name) => _g.Symbol(name);
    private uint Off(string type, string field) => _g.Off(type, field);

    private ulong Scratch(ulong size, string what, Action<Assembler>? code = null)
    {
        if (code is not null)
        {
            var at = (_codeNext + 15) & ~15UL;
            var bytes = _emit.Emit(at, what, code);
            _codeNext = at + (ulong)bytes.Length;
            return at;
        }
        var va = (_dataNext + 15) & ~15UL;
        _emit.Claim(va, size, what);
        _dataNext = va + size;
        return va;
    }

    /// <summary>Lays everything out for one running thread; <paramref name="handles"/> is the queue the handle-making
    /// services hand out in order (wrapping around, so a looping program gets the same handles each round).</summary>
    /// <param name="userCr3">With KVA shadow, the user page tables' CR3 (KiKernelSysretExit loads it before SYSRETQ).</param>
    public void Install(SyntheticThread thread, IReadOnlyList<ulong> handles, ulong userCr3 = 0)
    {
        var g = _g;
        // The kit's own writes inside the image, so nothing here overlaps them.
        _emit.Claim(g.KernelBase, 0x2100, "image headers");
        _emit.Claim(Sym("KiServiceLimit"), 4, "KiServiceLimit");
        _emit.Claim(Sym("ObTypeIndexTable"), 0x100 * 8, "ObTypeIndexTable");
        _emit.Claim(Sym("ObHeaderCookie"), 1, "ObHeaderCookie");
        _emit.Claim(Sym("ObpKernelHandleTable"), 8, "ObpKernelHandleTable");
        if (!_kva) _emit.Claim(Sym("KiSystemCall64Shadow"), 3, "KiSystemCall64Shadow");

        WriteHelpers(handles);
        WriteDescriptorTables(thread);
        WriteDispatcher(userCr3);
        WriteServices();
        // Per-thread state the entry code reads: KPRCB.RspBase (top of the trap frame), the current thread.
        var prcb = g.Kpcr + Off("_KPCR", "Prcb");
        g.System.WriteU64(prcb + Off("_KPRCB", "RspBase"), thread.TrapFrame + g.Size("_KTRAP_FRAME"));
        g.System.WriteU64(prcb + Off("_KPRCB", "CurrentThread"), thread.Ethread);
        g.System.WriteU64(thread.Ethread + Off("_KTHREAD", "InitialStack"), thread.TrapFrame + g.Size("_KTRAP_FRAME"));
        g.System.WriteU64(thread.Ethread + Off("_KTHREAD", "Teb"), thread.Teb);
        if (_kva)
        {
            // The shadow fields the entry stub reads through GS while CR3 is still the user's.
            g.System.WriteU64(prcb + Off("_KPRCB", "KernelDirectoryTableBase"), thread.Process.Tables.Cr3());
            g.System.WriteU64(prcb + Off("_KPRCB", "RspBaseShadow"), thread.TrapFrame + g.Size("_KTRAP_FRAME"));
            g.System.WriteU64(thread.Process.Eprocess + Off("_KPROCESS", "UserDirectoryTableBase"), userCr3);
            g.System.WriteU8(Sym("KiKvaShadow"), 1);
            _emit.Claim(Sym("KiKvaShadow"), 1, "KiKvaShadow");
            _shadow.Add((prcb + Off("_KPRCB", "KernelDirectoryTableBase"), 0x18));
            _shadow.Add((thread.TrapFrame - 0x1000, 0x1000 + g.Size("_KTRAP_FRAME")));
        }
    }

    private void WriteHelpers(IReadOnlyList<ulong> handles)
    {
        SerialWrite = Scratch(0, "SerialWrite", EmitSerialWrite);
        PowerOff = Scratch(0, "PowerOff", a =>
        {
            var hang = a.CreateLabel();
            a.cli();
            a.mov(dx, Pm1aControlPort);
            a.mov(ax, SleepEnable);
            a.@out(dx, ax);
            a.Label(ref hang);
            a.hlt();
            a.jmp(hang);
        });
        NotImplemented = Scratch(0, "KiNotImplemented", a =>
        {
            a.mov(eax, StatusNotImplemented);
            a.ret();
        });
        WaitForStart = Scratch(0, "KiWaitForStart", EmitWaitForStart);
        HandleQueue = Scratch(16 + ((ulong)Math.Max(handles.Count, 1) * 8), "handle queue");
        _g.System.WriteU64(HandleQueue + 8, (ulong)handles.Count);
        for (var i = 0; i < handles.Count; i++) _g.System.WriteU64(HandleQueue + 16 + ((ulong)i * 8), handles[i]);
    }

    /// <summary>A routine: r9 = text, r8 = length → COM1, polling the line status for an empty transmitter; clobbers
    /// rax, rdx, r8, r9 only (shared by the kernel and the UEFI loader, which finds the UART set up by OVMF).</summary>
    public static void EmitSerialWrite(Assembler a)
    {
        var loop = a.CreateLabel();
        var wait = a.CreateLabel();
        var done = a.CreateLabel();
        a.test(r8, r8);
        a.jz(done);
        a.Label(ref loop);
        a.mov(dx, (ushort)(Com1 + 5));
        a.Label(ref wait);
        a.@in(al, dx);
        a.test(al, 0x20); // transmitter holding register empty
        a.jz(wait);
        a.mov(dx, Com1);
        a.mov(al, __byte_ptr[r9]);
        a.@out(dx, al);
        a.inc(r9);
        a.dec(r8);
        a.jnz(loop);
        a.Label(ref done);
        a.ret();
    }

    /// <summary>The idle loop a snapshot is taken in: kernel code (so the plugin's discovery, which looks at kernel-half
    /// blocks, runs here as it would in Windows' idle loop), interrupts off, polling the i8042's output-buffer-full bit
    /// (QEMU's PS/2 keyboard is there on q35; QMP send-key puts a scan code in it). Stale bytes are dropped first.</summary>
    private void EmitWaitForStart(Assembler a)
    {
        var drain = a.CreateLabel();
        var drained = a.CreateLabel();
        var poll = a.CreateLabel();
        a.Label(ref drain);
        a.@in(al, I8042Status);
        a.test(al, 1);
        a.jz(drained);
        a.@in(al, I8042Data);
        a.jmp(drain);
        a.Label(ref drained);
        Print(a, WaitingForStartMessage);
        a.Label(ref poll);
        a.pause();
        a.@in(al, I8042Status);
        a.test(al, 1);
        a.jz(poll);
        a.@in(al, I8042Data);
        Print(a, StartedMessage);
        a.ret();
    }

    private ulong Text(string s)
    {
        var bytes = Encoding.ASCII.GetBytes(s);
        var va = Scratch((ulong)bytes.Length, "text");
        _g.System.Write(va, bytes);
        return va;
    }

    private void Print(Assembler a, string message)
    {
        var text = Text(message);
        a.mov(r9, text);
        a.mov(r8, (ulong)message.Length);
        a.call(SerialWrite);
    }

    /// <summary>Prints RAX as 16 hex digits; clobbers rax, rcx, rdx, r8, r9, r10, r11.</summary>
    private void PrintHex(Assembler a, ulong buffer)
    {
        var loop = a.CreateLabel();
        var digit = a.CreateLabel();
        a.mov(r10, buffer + 15);
        a.mov(ecx, 16);
        a.Label(ref loop);
        a.mov(edx, eax);
        a.and(edx, 0xF);
        a.add(edx, '0');
        a.cmp(edx, '9');
        a.jbe(digit);
        a.add(edx, 'a' - '9' - 1);
        a.Label(ref digit);
        a.mov(__byte_ptr[r10], dl);
        a.dec(r10);
        a.shr(rax, 4);
        a.dec(ecx);
        a.jnz(loop);
        a.mov(r9, buffer);
        a.mov(r8, 16UL);
        a.call(SerialWrite);
    }

    private void WriteDescriptorTables(SyntheticThread thread)
    {
        var g = _g;
        // GDT with Windows' layout: 0x10 kernel code, 0x18 kernel data, 0x23 user 32-bit code, 0x2B user data,
        // 0x33 user 64-bit code, 0x40 the TSS (16-byte descriptor).
        var gdt = g.PoolAlloc(0x60, 16);
        g.System.WriteU64(gdt + 0x10, 0x00AF_9B00_0000_FFFF);
        g.System.WriteU64(gdt + 0x18, 0x00CF_9300_0000_FFFF);
        g.System.WriteU64(gdt + 0x20, 0x00CF_FB00_0000_FFFF);
        g.System.WriteU64(gdt + 0x28, 0x00CF_F300_0000_FFFF);
        g.System.WriteU64(gdt + 0x30, 0x00AF_FB00_0000_FFFF);
        var tssSize = g.Size("_KTSS64");
        var tss = g.PoolAlloc(tssSize, 16);
        // Interrupts and faults from user mode land below the trap frame, leaving it intact for a post-mortem.
        g.System.WriteU64(tss + Off("_KTSS64", "Rsp0"), thread.TrapFrame & ~0xFUL);
        g.System.WriteU16(tss + tssSize - 2, (ushort)tssSize); // I/O map base beyond the limit: no I/O bitmap
        var limit = (ulong)tssSize - 1;
        var low = (limit & 0xFFFF) | ((tss & 0xFF_FFFF) << 16) | (0x89UL << 40) | (((limit >> 16) & 0xF) << 48) | (((tss >> 24) & 0xFF) << 56);
        g.System.WriteU64(gdt + TssSelector, low);
        g.System.WriteU64(gdt + TssSelector + 8, tss >> 32);
        Gdtr = g.PoolAlloc(16, 16);
        g.System.WriteU16(Gdtr, 0x5F);
        g.System.WriteU64(Gdtr + 2, gdt);

        // IDT: vector 0 is KiDivideErrorFault (where discovery from the IDT starts); every exception reports itself
        // on COM1 with its vector, the two words above it (error code / RIP) and CR2, then powers off.
        var idt = g.PoolAlloc(256 * 16, 4096);
        var buffer = Scratch(16, "hex buffer");
        var report = Scratch(0, "fault report", a =>
        {
            Print(a, "\r\nalkanet synthetic kernel: exception vector ");
            a.mov(rax, __qword_ptr[rsp]);
            PrintHex(a, buffer);
            Print(a, " [rsp+8] ");
            a.mov(rax, __qword_ptr[rsp + 8]);
            PrintHex(a, buffer);
            Print(a, " [rsp+16] ");
            a.mov(rax, __qword_ptr[rsp + 16]);
            PrintHex(a, buffer);
            Print(a, " cr2 ");
            a.mov(rax, cr2);
            PrintHex(a, buffer);
            Print(a, "\r\n");
            a.jmp(PowerOff);
        });
        for (var v = 0; v < 32; v++)
        {
            var vector = (byte)v;
            Action<Assembler> stub = a =>
            {
                a.push(vector);
                a.jmp(report);
            };
            var vector0 = _kva ? "KiDivideErrorFaultShadow" : "KiDivideErrorFault";
            var handler = v == 0 ? Sym(vector0) : Scratch(0, $"exception stub {v}", stub);
            if (v == 0)
            {
                _emit.Emit(handler, vector0, stub);
                _shadow.Add((handler, 16));
            }
            var gate = idt + ((ulong)v * 16);
            var gateLow = (handler & 0xFFFF) | ((ulong)KernelCs << 16) | (0x8EUL << 40) | (((handler >> 16) & 0xFFFF) << 48);
            g.System.WriteU64(gate, gateLow);
            g.System.WriteU64(gate + 8, handler >> 32);
        }
        Idtr = g.PoolAlloc(16, 16);
        g.System.WriteU16(Idtr, 256 * 16 - 1);
        g.System.WriteU64(Idtr + 2, idt);
        IdtBase = idt;
        g.System.WriteU64(g.Kpcr + Off("_KPCR", "IdtBase"), idt);
        g.System.WriteU64(g.Kpcr + Off("_KPCR", "GdtBase"), gdt);
        g.System.WriteU64(g.Kpcr + Off("_KPCR", "TssBase"), tss);
        // A user-mode exception under KVA shadow starts with the user CR3: the CPU reads these, the report runs.
        _shadow.AddRange([(gdt, 0x60), (tss, tssSize), (idt, 256 * 16), (Gdtr, 10), (Idtr, 10)]);
        _shadow.Add((g.KernelBase + g.ImageSize - 0x1_0000, 0x1_0000)); // scratch code and data (report, SerialWrite, PowerOff, texts)
    }

    private void WriteDispatcher(ulong userCr3)
    {
        var g = _g;
        var trapSize = g.Size("_KTRAP_FRAME");
        var tfRip = (int)Off("_KTRAP_FRAME", "Rip");
        var tfFlags = (int)Off("_KTRAP_FRAME", "EFlags");
        var tfRsp = (int)Off("_KTRAP_FRAME", "Rsp");
        var prcb = (long)Off("_KPCR", "Prcb");
        var hasNumber = g.Isf.TryGetField("_KTHREAD", "SystemCallNumber", out var numberField);

        var userRspField = (long)Off("_KPCR", "UserRsp");
        // After swapgs (and, with KVA shadow, the CR3 switch): the trap frame and KPCR.UserRsp, then the dispatcher.
        void FillTrapFrame(Assembler a, long userRspFrom)
        {
            a.mov(rsp, __qword_ptr.gs[prcb + Off("_KPRCB", "RspBase")]);
            a.sub(rsp, (int)trapSize); // rsp = KTHREAD.TrapFrame
            a.mov(__qword_ptr[rsp + tfRip], rcx);
            a.mov(__qword_ptr[rsp + tfFlags], r11);
            a.mov(r11, __qword_ptr.gs[userRspFrom]);
            a.mov(__qword_ptr[rsp + tfRsp], r11);
            if (userRspFrom != userRspField) a.mov(__qword_ptr.gs[userRspField], r11);
            if (hasNumber)
            {
                a.mov(r11, __qword_ptr.gs[prcb + Off("_KPRCB", "CurrentThread")]);
                a.mov(__dword_ptr[r11 + (int)numberField.Offset], eax);
            }
            a.jmp(Sym("KiSystemServiceUser"));
        }

        _emit.Emit(Sym("KiSystemCall64"), "KiSystemCall64", a =>
        {
            a.swapgs();
            a.mov(__qword_ptr.gs[userRspField], rsp);
            FillTrapFrame(a, userRspField);
        });
        if (_kva)
        {
            // Windows' shadow entry: only this page and the KPCR's shadow fields are mapped in the user CR3.
            var userRspShadow = prcb + Off("_KPRCB", "UserRspShadow");
            var shadowEntry = _emit.Emit(Sym("KiSystemCall64Shadow"), "KiSystemCall64Shadow", a =>
            {
                a.swapgs();
                a.mov(__qword_ptr.gs[userRspShadow], rsp);
                a.mov(rsp, __qword_ptr.gs[prcb + Off("_KPRCB", "KernelDirectoryTableBase")]);
                a.mov(cr3, rsp);
                FillTrapFrame(a, userRspShadow);
            });
            _shadow.Add((Sym("KiSystemCall64Shadow"), (ulong)shadowEntry.Length));
            var sysretExit = _emit.Emit(Sym("KiKernelSysretExit"), "KiKernelSysretExit", a =>
            {
                a.mov(r10, userCr3); // r10 is volatile across a system call
                a.mov(cr3, r10);
                a.swapgs();
                a.sysretq();
            });
            _shadow.Add((Sym("KiKernelSysretExit"), (ulong)sysretExit.Length));
        }

        _emit.Emit(Sym("KiSystemServiceUser"), "KiSystemServiceUser", a =>
        {
            var invalid = a.CreateLabel();
            a.sub(rsp, DispatchFrame);
            // The service sees the x64 convention: arguments 5.. at [rsp+0x28] after the call, copied from the user
            // stack (where the caller put them, above its return address and home space).
            a.mov(r11, __qword_ptr[rsp + DispatchFrame + tfRsp]);
            for (var i = 0; i < StackArgsCopied; i++)
            {
                a.mov(rcx, __qword_ptr[r11 + 0x28 + (i * 8)]);
                a.mov(__qword_ptr[rsp + 0x20 + (i * 8)], rcx);
            }
            a.mov(rcx, r10);
            a.mov(eax, eax);
            a.cmp(eax, _g.ServiceLimit);
            a.jae(invalid);
            a.mov(r11, _g.ServiceTableBase);
            a.movsxd(r10, __dword_ptr[r11 + rax * 4]);
            a.sar(r10, 4);
            a.add(r10, r11);
            a.jmp(Sym("KiSystemServiceCopyEnd"));
            a.Label(ref invalid);
            a.mov(r10, NotImplemented);
            a.jmp(Sym("KiSystemServiceCopyEnd"));
        });

        // KiSystemServiceCopyEnd: the kit's layout (call r10 at +0x20), then the return site (the EXIT hook: RAX is the
        // status) and the way out.
        var copyEnd = Sym("KiSystemServiceCopyEnd");
        _emit.Emit(copyEnd, "KiSystemServiceCopyEnd", a =>
        {
            for (var i = 0; i < (int)SyntheticWindowsGuest.CallR10Offset; i++) a.nop();
            a.call(r10);
            a.jmp(Sym("KiSystemServiceExit"));
        });

        _emit.Emit(Sym("KiSystemServiceExit"), "KiSystemServiceExit", a =>
        {
            a.add(rsp, DispatchFrame);
            a.mov(rcx, __qword_ptr[rsp + tfRip]);
            a.mov(r11, __qword_ptr[rsp + tfFlags]);
            a.mov(rsp, __qword_ptr[rsp + tfRsp]);
            if (_kva) a.jmp(Sym("KiKernelSysretExit"));
            else
            {
                a.swapgs();
                a.sysretq();
            }
        });
    }

    /// <summary>The services this guest honours, at their own ISF symbols; every other number returns
    /// STATUS_NOT_IMPLEMENTED. Arguments: rcx, rdx, r8, r9, then [rsp+0x28].. (x64 convention).</summary>
    private void WriteServices()
    {
        var services = new Dictionary<string, Action<Assembler>>
        {
            ["NtCreateFile"] = a =>
            {
                var noIosb = a.CreateLabel();
                TakeHandleInto(a, rcx);
                a.test(r9, r9); // IO_STATUS_BLOCK: Status 0, Information FILE_CREATED (2)
                a.jz(noIosb);
                a.mov(__qword_ptr[r9], 0);
                a.mov(__qword_ptr[r9 + 8], 2);
                a.Label(ref noIosb);
                a.xor(eax, eax);
                a.ret();
            },
            ["NtWriteFile"] = a =>
            {
                var noIosb = a.CreateLabel();
                a.mov(r9, __qword_ptr[rsp + 0x30]); // Buffer
                a.mov(r8d, __dword_ptr[rsp + 0x38]); // Length
                a.mov(r10, r8);
                a.call(SerialWrite); // the "file" is COM1: a test sees the program's output
                a.mov(r11, __qword_ptr[rsp + 0x28]); // IoStatusBlock
                a.test(r11, r11);
                a.jz(noIosb);
                a.mov(__qword_ptr[r11], 0);
                a.mov(__qword_ptr[r11 + 8], r10);
                a.Label(ref noIosb);
                a.xor(eax, eax);
                a.ret();
            },
            ["NtClose"] = Success,
            ["NtSetValueKey"] = Success,
            ["NtSetInformationFile"] = Success, // rename and delete-on-close: accepted, the "file" is COM1
            // Hollowing: the child exists already (laid out by the kit); its process and thread handles come from the queue.
            ["NtCreateUserProcess"] = a =>
            {
                TakeHandleInto(a, rcx);
                TakeHandleInto(a, rdx);
                a.xor(eax, eax);
                a.ret();
            },
            ["NtUnmapViewOfSection"] = Success,
            // Thread hijack and APC: accepted, nothing done (the target thread never runs in this guest).
            ["NtSuspendThread"] = Success,
            ["NtSetContextThread"] = Success,
            ["NtResumeThread"] = Success,
            ["NtQueueApcThread"] = Success,
            ["NtOpenProcess"] = a =>
            {
                TakeHandleInto(a, rcx);
                a.xor(eax, eax);
                a.ret();
            },
            ["NtCreateThreadEx"] = a =>
            {
                TakeHandleInto(a, rcx);
                a.xor(eax, eax);
                a.ret();
            },
            ["NtCreateKey"] = a =>
            {
                var noDisposition = a.CreateLabel();
                TakeHandleInto(a, rcx);
                a.mov(r11, __qword_ptr[rsp + 0x38]); // Disposition: REG_OPENED_EXISTING_KEY (2)
                a.test(r11, r11);
                a.jz(noDisposition);
                a.mov(__dword_ptr[r11], 2);
                a.Label(ref noDisposition);
                a.xor(eax, eax);
                a.ret();
            },
            ["NtAllocateVirtualMemory"] = a =>
            {
                var chosen = a.CreateLabel();
                a.mov(rax, __qword_ptr[rdx]); // *BaseAddress: 0 lets the system choose
                a.test(rax, rax);
                a.jnz(chosen);
                a.mov(rax, AllocationBase);
                a.mov(__qword_ptr[rdx], rax);
                a.Label(ref chosen);
                a.mov(rax, __qword_ptr[r9]); // *RegionSize rounds up to pages
                a.add(rax, 0xFFF);
                a.and(rax, -0x1000);
                a.mov(__qword_ptr[r9], rax);
                a.xor(eax, eax);
                a.ret();
            },
            ["NtWriteVirtualMemory"] = a =>
            {
                var noCount = a.CreateLabel();
                a.mov(r11, __qword_ptr[rsp + 0x28]); // NumberOfBytesWritten = Size (nothing is copied)
                a.test(r11, r11);
                a.jz(noCount);
                a.mov(__qword_ptr[r11], r9);
                a.Label(ref noCount);
                a.xor(eax, eax);
                a.ret();
            },
            ["NtTerminateProcess"] = a =>
            {
                Print(a, "alkanet synthetic kernel: NtTerminateProcess, powering off\r\n");
                a.jmp(PowerOff);
            },
        };
        var addresses = new Dictionary<string, ulong>();
        foreach (var (name, body) in services)
        {
            addresses[name] = Sym(name);
            _emit.Emit(Sym(name), name, body);
        }
        // Every other named call gets a routine of its own at its ISF symbol (a jump to the STATUS_NOT_IMPLEMENTED
        // stub), so KiServiceTable names each number as Windows' does; a symbol the ISF lacks, or one too close to a
        // routine written above, leads to the shared stub instead (a call discovery then cannot name).
        foreach (var (_, name) in _table.Calls())
        {
            if (addresses.ContainsKey(name) || !_g.Isf.TryGetSymbol(name, out var rva)) continue;
            var at = _g.KernelBase + rva;
            if (addresses.ContainsValue(at)) addresses[name] = at; // folded aliases share one routine, as in ntoskrnl
            else if (_emit.IsFree(at, 5))
            {
                _emit.Emit(at, name, a => a.jmp(NotImplemented));
                addresses[name] = at;
            }
        }
        _emit.Claim(_g.ServiceTableBase, _g.ServiceLimit * 4UL, "KiServiceTable");
        _emit.Claim(Sym("KeServiceDescriptorTable"), 32, "KeServiceDescriptorTable");
        _g.WriteServiceTable(NotImplemented, name => addresses.TryGetValue(name, out var a) ? a : null);

        static void Success(Assembler a)
        {
            a.xor(eax, eax);
            a.ret();
        }
    }

    /// <summary>Writes the next handle of the queue to [<paramref name="pointer"/>]; clobbers rax, r10, r11.</summary>
    private void TakeHandleInto(Assembler a, AssemblerRegister64 pointer)
    {
        var inRange = a.CreateLabel();
        a.mov(r11, HandleQueue);
        a.mov(rax, __qword_ptr[r11]);
        a.lea(r10, __qword_ptr[rax + 1]);
        a.cmp(r10, __qword_ptr[r11 + 8]);
        a.jb(inRange);
        a.xor(r10d, r10d);
        a.Label(ref inRange);
        a.mov(__qword_ptr[r11], r10);
        a.mov(rax, __qword_ptr[r11 + (rax * 8) + 16]);
        a.mov(__qword_ptr[pointer], rax);
    }
}
