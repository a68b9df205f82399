using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Syscalls;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.TestKit.Boot;

public sealed class SyntheticBootOptions
{
    /// <summary>Where the kernel image is mapped (2 MiB aligned); discovery must find it wherever it is.</summary>
    public ulong KernelBase { get; init; } = 0xFFFF_F804_5A00_0000UL;

    /// <summary>Start of the physical window the loader reserves and the guest's frames live in (64 MiB: free in
    /// OVMF's memory map with -m 512M or more).</summary>
    public ulong PhysicalStart { get; init; } = 64UL << 20;

    /// <summary>How many times the sample repeats its calls before NtTerminateProcess (for benchmarks).</summary>
    public int Iterations { get; init; } = 1;

    /// <summary>KVA shadow as Windows does it against Meltdown: LSTAR = KiSystemCall64Shadow, user mode runs on page
    /// tables that map only the user half and the kernel's shadow stubs; the ENTER site becomes KiSystemServiceUser
    /// (after the CR3 switch) and IDT vector 0 is KiDivideErrorFaultShadow.</summary>
    public bool KvaShadow { get; init; }

    /// <summary>The number → name table the guest's KiServiceTable lays out and the sample's calls use (null: 1909's).</summary>
    public SyscallTable? ServiceTable { get; init; }

    /// <summary>KUSER_SHARED_DATA.NtBuildNumber and the kernel's file version (the ISF's build).</summary>
    public int NtBuildNumber { get; init; } = 18363;
    public Version FileVersion { get; init; } = new(10, 0, 18362, 418);

    /// <summary>Before the sample's first instruction the kernel idles (in kernel code, the KPCR live, the plugin able to
    /// find the kernel) until a key press reaches the i8042: <c>alkanet image prepare</c> snapshots it there and a run from
    /// the snapshot sends the key (QMP send-key). COM1 says when it starts waiting and when the key arrived.</summary>
    public bool WaitForStartKey { get; init; }

    /// <summary>Options for one build: its build number, file version and call table.</summary>
    public static SyntheticBootOptions For(BuildProfile build) =>
        new() { NtBuildNumber = build.Build, FileVersion = build.FileVersion, ServiceTable = build.Table };
}

/// <summary>A raw disk image OVMF boots into a synthetic Windows-like guest: a FAT16 file system with
/// \EFI\BOOT\BOOTX64.EFI, a UEFI application (written here, code assembled with Iced) that copies the kit's
/// <see cref="SyntheticWindowsGuest"/> into guest RAM and enters it. The kernel's system-call path (KiSystemCall64 →
/// KiSystemServiceUser → call r10 after KiSystemServiceCopyEnd → KiSystemServiceExit) and a few services are real
/// code at the ISF's symbol addresses; "sample.exe" makes real calls (<see cref="ExpectedCalls"/>), NtWriteFile
/// echoes to COM1, and NtTerminateProcess powers the VM off. It is not Windows: it proves a hook reads the same
/// structures at the same sites.</summary>
public sealed class SyntheticWindowsBootDisk
{
    public const string BootPath = @"\EFI\BOOT\BOOTX64.EFI";
    public const ulong SamplePid = 0x1a4c, SampleTid = 0x1a50, SampleParentPid = 0x0f2c, TargetPid = 0x0e10, TargetTid = 0x0e14;
    /// <summary>The child the sample creates suspended and hollows (svchost.exe).</summary>
    public const ulong ChildPid = 0x1b58, ChildTid = 0x1b5c;
    public const string SampleImagePath = @"C:\Users\Public\sample.exe";
    public const string SampleCommandLine = "\"C:\\Users\\Public\\sample.exe\" --drop";

    /// <summary>COM1 lines of <see cref="SyntheticBootOptions.WaitForStartKey"/>: idle and waiting, then the key arrived.</summary>
    public const string WaitingForStartMessage = SyntheticKernelCode.WaitingForStartMessage;
    public const string StartedMessage = SyntheticKernelCode.StartedMessage;

    /// <summary>Guest RAM the image needs (QEMU -m, in MiB); 512 or more works.</summary>
    public const int MemoryMiB = 512;

    /// <summary>The text NtWriteFile echoes to COM1 (once per iteration).</summary>
    public const string SerialEcho = SampleProgram.Payload;

    /// <summary>What the kernel prints on COM1 right before it powers the VM off.</summary>
    public const string PowerOffMessage = "alkanet synthetic kernel: NtTerminateProcess, powering off";

    private SyntheticWindowsBootDisk(SyntheticWindowsGuest guest, SyntheticProcess sample, SyntheticThread thread, SyntheticProcess target,
        IReadOnlyList<GuestCall> calls, byte[] efi, ulong windowEnd, ulong idtBase, ulong sampleEntry)
    {
        SampleEntry = sampleEntry;
        IdtBase = idtBase;
        Guest = guest;
        Sample = sample;
        SampleThread = thread;
        Target = target;
        ExpectedCalls = calls;
        EfiApplication = efi;
        WindowEnd = windowEnd;
    }

    public SyntheticWindowsGuest Guest { get; }
    public SyntheticProcess Sample { get; }
    public SyntheticThread SampleThread { get; }
    public SyntheticProcess Target { get; }

    /// <summary>The process the sample hollows (created suspended by NtCreateUserProcess).</summary>
    public SyntheticProcess Child { get; private init; } = null!;

    /// <summary>The bytes the sample writes to its file (renamed, then deleted), into notepad.exe, and over the hollowed child.</summary>
    public static ReadOnlySpan<byte> DroppedFileContent => System.Text.Encoding.ASCII.GetBytes(SampleProgram.Payload);
    public static ReadOnlySpan<byte> InjectedCode => SampleProgram.InjectedCode;
    public static ReadOnlySpan<byte> HollowImage => SampleProgram.HollowImage;

    /// <summary>Every call the sample makes, in order, for all iterations, ending with NtTerminateProcess.</summary>
    public IReadOnlyList<GuestCall> ExpectedCalls { get; }

    /// <summary>The PE32+ UEFI application (BOOTX64.EFI).</summary>
    public byte[] EfiApplication { get; }

    /// <summary>The IDT (also in KPCR.IdtBase): vector 0 is KiDivideErrorFault, where discovery without LSTAR starts.</summary>
    public ulong IdtBase { get; }

    /// <summary>The sample's first instruction (user mode, the sample's CR3): a breakpoint here stops the VM once the
    /// synthetic kernel is in place (e.g. to attach a gdbstub tracer before the first call).</summary>
    public ulong SampleEntry { get; }

    public ulong WindowStart => Guest.Physical.FirstFrame;
    public ulong WindowEnd { get; }

    /// <summary>Builds the guest (offsets from <paramref name="isf"/>, numbers from the options' table, else 1909's).</summary>
    public static SyntheticWindowsBootDisk Build(IsfFile isf, SyntheticBootOptions? options = null)
    {
        options ??= new SyntheticBootOptions();
        if (options.Iterations < 1) throw new ArgumentOutOfRangeException(nameof(options), "Iterations must be at least 1");
        if ((options.KernelBase & 0x1F_FFFF) != 0 || options.KernelBase < 0xFFFF_8000_0000_0000UL)
            throw new ArgumentOutOfRangeException(nameof(options), $"KernelBase 0x{options.KernelBase:x} must be a 2 MiB aligned kernel address");
        if ((options.PhysicalStart & 0xFFF) != 0 || options.PhysicalStart < 0x10_0000)
            throw new ArgumentOutOfRangeException(nameof(options), $"PhysicalStart 0x{options.PhysicalStart:x} must be page aligned and at least 1 MiB");
        var g = new SyntheticWindowsGuest(isf, new SyntheticGuestOptions
        {
            KernelBase = options.KernelBase, PhysicalStart = options.PhysicalStart, KvaShadow = options.KvaShadow,
            ServiceTable = options.ServiceTable, NtBuildNumber = options.NtBuildNumber, FileVersion = options.FileVersion,
        });
        var table = g.ServiceTable;
        var sample = g.AddProcess(SamplePid, "sample.exe", SampleParentPid, SampleImagePath, SampleCommandLine);
        var thread = sample.AddThread(SampleTid);
        var target = g.AddProcess(TargetPid, "notepad.exe", SampleParentPid, @"C:\Windows\System32\notepad.exe", "notepad.exe");
        var targetThread = target.AddThread(TargetTid);
        // The synthetic kernel does not create processes: NtCreateUserProcess hands out handles to this one, laid out here.
        var child = g.AddProcess(ChildPid, "svchost.exe", SamplePid, SampleProgram.ChildImagePath, SampleProgram.ChildImagePath);
        var childThread = child.AddThread(ChildTid);

        var handles = new List<ulong>();
        var round = SampleProgram.Calls(g, sample, target, targetThread, childThread, table, handles);
        var terminate = SampleProgram.Terminate(table);
        var emitter = new CodeEmitter(g.System);
        var kernel = new SyntheticKernelCode(g, table, emitter);
        // With KVA shadow, user mode runs on its own tables (filled at the end, once every user page is mapped).
        var userTables = options.KvaShadow ? new PageTableBuilder(g.Physical, g.Options.Paging) : null;
        kernel.Install(thread, handles, userTables?.Cr3() ?? 0);

        var codeVa = sample.UserAlloc(0x4000, 4096);
        var program = SampleProgram.Assemble(codeVa, thread.UserRsp, round, terminate, options.Iterations);
        if (program.Length > 0x4000) throw new InvalidOperationException($"the sample program ({program.Length} bytes) outgrew its 16 KiB");
        sample.Tables.Write(codeVa, program);

        // The trampoline's page: the same address before and after the CR3 switch (firmware identity map; mapped
        // here in the sample's tables, user half, like any low identity mapping).
        var trampolinePa = g.Physical.AllocateFrame();
        sample.Tables.Map(trampolinePa, trampolinePa);
        if (userTables is not null) ShadowMap(g, sample, userTables, kernel.ShadowRanges);
        var trampoline = EfiLoader.Trampoline(trampolinePa, new TrampolineTarget(
            sample.Tables.Cr3(), thread.TrapFrame - 0x800, kernel.Gdtr, kernel.Idtr, g.Lstar, thread.Teb, g.Kpcr,
            kernel.SerialWrite, codeVa, thread.UserRsp + 8, userTables?.Cr3(),
            options.WaitForStartKey ? kernel.WaitForStart : null));
        g.Physical.Write(trampolinePa, trampoline);

        var windowEnd = (g.Physical.NextFree + 0xF_FFFF) & ~0xF_FFFFUL;
        var (section, entry) = EfiLoader.Build(g.Physical.FirstFrame, windowEnd, g.Physical.WrittenFrames(), trampolinePa);
        var efi = EfiPeWriter.Write(section, entry);

        var calls = new List<GuestCall>();
        for (var i = 0; i < options.Iterations; i++) calls.AddRange(round);
        calls.Add(terminate);
        return new SyntheticWindowsBootDisk(g, sample, thread, target, calls, efi, windowEnd, kernel.IdtBase, codeVa) { Child = child };
    }

    /// <summary>The user tables of KVA shadow: the sample's user half (its root's lower 256 entries, so the same
    /// lower-level tables) plus the kernel pages the shadow entry, the sysret exit and a user-mode exception touch.</summary>
    private static void ShadowMap(SyntheticWindowsGuest g, SyntheticProcess sample, PageTableBuilder user, IEnumerable<(ulong Va, ulong Length)> ranges)
    {
        Span<byte> half = stackalloc byte[2048];
        g.Physical.TryRead(sample.Tables.Root, half);
        g.Physical.Write(user.Root, half);
        var pages = new HashSet<ulong>();
        foreach (var (va, length) in ranges)
            for (var page = va & ~0xFFFUL; page < va + length; page += 4096)
                if (pages.Add(page))
                {
                    var t = sample.Tables.Translate(page);
                    if (!t.Ok) throw new InvalidOperationException($"KVA shadow: kernel page {page:x} is not mapped ({t})");
                    user.Map(page, t.PhysicalAddress & ~0xFFFUL);
                }
    }

    /// <summary>The raw disk image (FAT16 superfloppy with <see cref="BootPath"/>).</summary>
    public byte[] DiskImage()
    {
        var fat = new Fat16ImageWriter();
        fat.AddFile(BootPath, EfiApplication);
        return fat.Build();
    }

    /// <summary>Writes <see cref="DiskImage"/> to <paramref name="path"/> (through a temporary file, so a failed write
    /// leaves nothing half-written).</summary>
    public void WriteDiskImage(string path)
    {
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, DiskImage());
        File.Move(tmp, path, overwrite: true);
    }
}
