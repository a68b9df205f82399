using System.Text;
using Alkanet.Introspection.Syscalls;
using static Iced.Intel.AssemblerRegisters;

namespace Alkanet.Introspection.TestKit.Boot;

/// <summary>The user half of the bootable guest: "sample.exe" (a dropper and injector in miniature) calls through
/// ntdll-style stubs (<c>mov r10, rcx; mov eax, N; syscall; ret</c>) with the x64 convention, so at the syscall
/// RSP is <see cref="SyntheticThread.UserRsp"/> and arguments 5.. sit at RSP+0x28, as the kit's EnterState models.
/// The argument blocks (OBJECT_ATTRIBUTES, UNICODE_STRINGs, CLIENT_ID, buffers) are laid out by the kit.</summary>
internal static class SampleProgram
{
    public const string DroppedPath = @"\??\C:\Users\Public\evil.exe";
    public const string DroppedFileObjectName = @"\Users\Public\evil.exe";
    public const string RunKey = @"\Registry\Machine\Software\Microsoft\Windows\CurrentVersion\Run";
    public const string RunKeyObjectName = @"\REGISTRY\MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run";
    public const string RunValueName = "Updater";
    public const string Payload = "alkanet synthetic sample: MZ payload written by NtWriteFile\r\n";
    /// <summary>The name the dropped file is renamed to (FileRenameInformation) before it is deleted (FileDispositionInformation).</summary>
    public const string RenamedPath = @"\??\C:\Users\Public\evil.tmp";
    /// <summary>What NtWriteVirtualMemory writes into notepad.exe (the hijack's and the APC's code).</summary>
    public static readonly byte[] InjectedCode = [.. "ALKANET-SYNTHETIC-INJECTED-CODE:"u8, 0x90, 0x90, 0x90, 0xC3];
    /// <summary>What the hollowing writes over the suspended child's image: 1536 bytes, more than a ring slot holds, so the
    /// capture is seen to take a whole buffer up to the per-call cap (the marker at the end would be lost by a cut).</summary>
    public static readonly byte[] HollowImage =
    [
        .. "MZ"u8, .. new byte[14], .. "ALKANET-SYNTHETIC-HOLLOWED-IMAGE"u8, .. Enumerable.Range(0, 1458).Select(i => (byte)i),
        .. "ALKANET-HOLLOWED-END-OF-IMAGE:"u8,
    ];
    /// <summary>Where the hollowed child's image lives (unmapped, then written) and where its context is pointed.</summary>
    public const ulong ChildImageBase = 0x0000_0001_4000_0000, ChildEntry = ChildImageBase + 0x1000;
    public const string ChildImagePath = @"C:\Windows\System32\svchost.exe";
    public const ulong CurrentProcess = ulong.MaxValue; // NtCurrentProcess()

    public static List<GuestCall> Calls(SyntheticWindowsGuest g, SyntheticProcess sample, SyntheticProcess target, SyntheticThread targetThread,
        SyntheticThread child, SyscallTable table, List<ulong> handleQueue)
    {
        uint N(string name) => table.TryGetNumber(name, out var n) ? n : throw new InvalidOperationException($"{name} is not in {table.Release}");
        var calls = new List<GuestCall>();
        var p = sample;

        var fileHandle = p.AddHandle(g.AddFile(DroppedFileObjectName), 0x120116);
        var processHandle = p.AddHandle(target.Eprocess, 0x1FFFFF);
        var threadHandle = p.AddHandle(targetThread.Ethread, 0x1FFFFF);
        var childProcessHandle = p.AddHandle(child.Process.Eprocess, 0x1FFFFF);
        var childThreadHandle = p.AddHandle(child.Ethread, 0x1FFFFF);
        var keyHandle = p.AddHandle(g.AddKey(RunKeyObjectName), 0x20006);
        // In the order the handle-making services hand them out.
        handleQueue.AddRange([fileHandle, processHandle, threadHandle, childProcessHandle, childThreadHandle, keyHandle]);

        var fileOut = p.U64(0);
        var iosb = p.UserAlloc(16, 8);
        calls.Add(new GuestCall("NtCreateFile", N("NtCreateFile"),
            [fileOut, 0x40100000 /* GENERIC_WRITE|SYNCHRONIZE */, p.ObjectAttributes(DroppedPath), iosb, 0, 0x80 /* NORMAL */, 0, 5 /* FILE_OVERWRITE_IF */, 0x60 /* synchronous, non-directory */, 0, 0], 0)
        {
            OutHandle = fileHandle,
            Enter = new Dictionary<string, string> { ["file_name"] = @"0\" + DroppedPath },
            Exit = new Dictionary<string, string> { ["out_handle"] = Hex(fileHandle), ["object_name"] = DroppedFileObjectName },
        });
        var payload = Encoding.ASCII.GetBytes(Payload);
        calls.Add(new GuestCall("NtWriteFile", N("NtWriteFile"), [fileHandle, 0, 0, 0, iosb, p.Bytes(payload), (ulong)payload.Length, p.U64(0), 0], 0)
        {
            Enter = new Dictionary<string, string> { ["file_handle"] = Hex(fileHandle), ["object_name"] = DroppedFileObjectName, ["size"] = Hex((ulong)payload.Length) },
            Exit = new Dictionary<string, string> { ["bytes_written"] = Hex((ulong)payload.Length) },
        });
        // FILE_RENAME_INFORMATION { ReplaceIfExists @0, RootDirectory @8, FileNameLength @16, FileName @20 }, then
        // FILE_DISPOSITION_INFORMATION { DeleteFile = TRUE }: the file is renamed, then deleted when closed.
        var newName = Encoding.Unicode.GetBytes(RenamedPath);
        var rename = new byte[20 + newName.Length];
        BitConverter.TryWriteBytes(rename.AsSpan(16), newName.Length);
        newName.CopyTo(rename, 20);
        calls.Add(new GuestCall("NtSetInformationFile", N("NtSetInformationFile"), [fileHandle, iosb, p.Bytes(rename), (ulong)rename.Length, 10], 0)
        {
            Enter = new Dictionary<string, string> { ["file_handle"] = Hex(fileHandle), ["info_class"] = "a", ["new_name"] = RenamedPath },
        });
        calls.Add(new GuestCall("NtSetInformationFile", N("NtSetInformationFile"), [fileHandle, iosb, p.Bytes([1]), 1, 13], 0)
        {
            Enter = new Dictionary<string, string> { ["file_handle"] = Hex(fileHandle), ["info_class"] = "d", ["delete"] = "1" },
        });
        calls.Add(new GuestCall("NtClose", N("NtClose"), [fileHandle], 0));

        var processOut = p.U64(0);
        calls.Add(new GuestCall("NtOpenProcess", N("NtOpenProcess"), [processOut, 0x1FFFFF, p.ObjectAttributes(null, 0, 0), p.ClientId(target.Pid, 0)], 0)
        {
            OutHandle = processHandle,
            Enter = new Dictionary<string, string> { ["target_pid"] = Hex(target.Pid) },
            Exit = new Dictionary<string, string> { ["out_handle"] = Hex(processHandle), ["target_name"] = "notepad.exe" },
        });
        var baseOut = p.U64(0);
        var sizeInOut = p.U64(0x1000);
        calls.Add(new GuestCall("NtAllocateVirtualMemory", N("NtAllocateVirtualMemory"), [processHandle, baseOut, 0, sizeInOut, 0x3000, 0x40 /* PAGE_EXECUTE_READWRITE */], 0)
        {
            Exit = new Dictionary<string, string> { ["base_address"] = Hex(SyntheticKernelCode.AllocationBase) },
        });
        var size = (ulong)InjectedCode.Length;
        calls.Add(new GuestCall("NtWriteVirtualMemory", N("NtWriteVirtualMemory"),
            [processHandle, SyntheticKernelCode.AllocationBase, p.Bytes(InjectedCode), size, p.U64(0)], 0)
        {
            Enter = new Dictionary<string, string> { ["base_address"] = Hex(SyntheticKernelCode.AllocationBase), ["size"] = Hex(size) },
            Exit = new Dictionary<string, string> { ["bytes_written"] = Hex(size) },
        });
        var threadOut = p.U64(0);
        calls.Add(new GuestCall("NtCreateThreadEx", N("NtCreateThreadEx"), [threadOut, 0x1FFFFF, 0, processHandle, SyntheticKernelCode.AllocationBase, 0, 0, 0, 0, 0, 0], 0)
        {
            OutHandle = threadHandle,
            Enter = new Dictionary<string, string> { ["start_address"] = Hex(SyntheticKernelCode.AllocationBase) },
            Exit = new Dictionary<string, string> { ["out_handle"] = Hex(threadHandle), ["new_pid"] = Hex(target.Pid), ["new_tid"] = Hex(targetThread.Tid) },
        });

        // Thread execution hijacking (T1055.003): suspend the target's existing thread, point its context at the written
        // code (CONTEXT.Rip at 0xF8, ContextFlags CONTEXT_CONTROL at 0x30), resume it; then APC injection (T1055.004):
        // queue the same code as an APC to that thread. Every step names the target's pid and tid in its record.
        var onTarget = new Dictionary<string, string>
        {
            ["thread_handle"] = Hex(threadHandle), ["target_pid"] = Hex(target.Pid), ["target_tid"] = Hex(targetThread.Tid),
        };
        calls.Add(new GuestCall("NtSuspendThread", N("NtSuspendThread"), [threadHandle, p.U64(0)], 0) { Enter = onTarget });
        calls.Add(new GuestCall("NtSetContextThread", N("NtSetContextThread"),
            [threadHandle, p.Bytes(Context(SyntheticKernelCode.AllocationBase))], 0)
        {
            Enter = onTarget,
        });
        calls.Add(new GuestCall("NtResumeThread", N("NtResumeThread"), [threadHandle, p.U64(0)], 0) { Enter = onTarget });
        calls.Add(new GuestCall("NtQueueApcThread", N("NtQueueApcThread"), [threadHandle, SyntheticKernelCode.AllocationBase, 0, 0, 0], 0)
        {
            Enter = new Dictionary<string, string>(onTarget) { ["apc_routine"] = Hex(SyntheticKernelCode.AllocationBase) },
        });

        calls.AddRange(Hollowing(p, child, table, childProcessHandle, childThreadHandle));

        var keyOut = p.U64(0);
        calls.Add(new GuestCall("NtCreateKey", N("NtCreateKey"), [keyOut, 0x20006 /* KEY_WRITE */, p.ObjectAttributes(RunKey), 0, 0, 0, p.UserAlloc(4, 4)], 0)
        {
            OutHandle = keyHandle,
            Enter = new Dictionary<string, string> { ["key_name"] = @"0\" + RunKey },
            Exit = new Dictionary<string, string> { ["out_handle"] = Hex(keyHandle) },
        });
        var data = Encoding.Unicode.GetBytes(@"C:\Users\Public\evil.exe" + "\0");
        calls.Add(new GuestCall("NtSetValueKey", N("NtSetValueKey"), [keyHandle, p.UnicodeString(RunValueName), 0, 1 /* REG_SZ */, p.Bytes(data), (ulong)data.Length], 0)
        {
            Enter = new Dictionary<string, string> { ["key_handle"] = Hex(keyHandle), ["value_name"] = RunValueName },
        });
        calls.Add(new GuestCall("NtClose", N("NtClose"), [keyHandle], 0));
        calls.Add(new GuestCall("NtClose", N("NtClose"), [threadHandle], 0));
        calls.Add(new GuestCall("NtClose", N("NtClose"), [processHandle], 0));
        calls.Add(new GuestCall("NtClose", N("NtClose"), [childThreadHandle], 0));
        calls.Add(new GuestCall("NtClose", N("NtClose"), [childProcessHandle], 0));
        return calls;
    }

    /// <summary>Process hollowing (T1055.012): svchost.exe created suspended (NtCreateUserProcess with
    /// THREAD_CREATE_FLAGS_CREATE_SUSPENDED; the synthetic kernel hands out handles to a child laid out in advance), its
    /// image unmapped, a new one written in its place, its first thread's context pointed at it, and the thread resumed.</summary>
    private static IEnumerable<GuestCall> Hollowing(SyntheticProcess p, SyntheticThread child, SyscallTable table, ulong processHandle,
        ulong threadHandle)
    {
        uint N(string name) => table.TryGetNumber(name, out var n) ? n : throw new InvalidOperationException($"{name} is not in {table.Release}");
        var onChild = new Dictionary<string, string>
        {
            ["thread_handle"] = Hex(threadHandle), ["target_pid"] = Hex(child.Process.Pid), ["target_tid"] = Hex(child.Tid),
        };
        var commandLine = $"\"{ChildImagePath}\" -k netsvcs";
        yield return new GuestCall("NtCreateUserProcess", N("NtCreateUserProcess"),
            [p.U64(0), p.U64(0), 0x1FFFFF, 0x1FFFFF, 0, 0, 0, 1 /* THREAD_CREATE_FLAGS_CREATE_SUSPENDED */,
                p.ProcessParameters(ChildImagePath, commandLine), p.UserAlloc(0x58, 8), 0], 0)
        {
            OutHandle = processHandle,
            Enter = new Dictionary<string, string> { ["thread_flags"] = "1", ["image_name"] = ChildImagePath, ["command_line"] = commandLine },
            Exit = new Dictionary<string, string>
            {
                ["out_thread_handle"] = Hex(threadHandle), ["new_pid"] = Hex(child.Process.Pid), ["new_tid"] = Hex(child.Tid),
            },
        };
        yield return new GuestCall("NtUnmapViewOfSection", N("NtUnmapViewOfSection"), [processHandle, ChildImageBase], 0)
        {
            Enter = new Dictionary<string, string> { ["target_pid"] = Hex(child.Process.Pid), ["base_address"] = Hex(ChildImageBase) },
        };
        var size = (ulong)HollowImage.Length;
        yield return new GuestCall("NtWriteVirtualMemory", N("NtWriteVirtualMemory"),
            [processHandle, ChildImageBase, p.Bytes(HollowImage), size, p.U64(0)], 0)
        {
            Enter = new Dictionary<string, string>
            {
                ["target_pid"] = Hex(child.Process.Pid), ["base_address"] = Hex(ChildImageBase), ["size"] = Hex(size),
            },
            Exit = new Dictionary<string, string> { ["bytes_written"] = Hex(size) },
        };
        yield return new GuestCall("NtSetContextThread", N("NtSetContextThread"), [threadHandle, p.Bytes(Context(ChildEntry))], 0)
        {
            Enter = onChild,
        };
        yield return new GuestCall("NtResumeThread", N("NtResumeThread"), [threadHandle, p.U64(0)], 0) { Enter = onChild };
    }

    /// <summary>A CONTEXT with ContextFlags CONTEXT_CONTROL (at 0x30) and Rip (at 0xF8) = <paramref name="rip"/>.</summary>
    private static byte[] Context(ulong rip)
    {
        var context = new byte[0x4D0];
        BitConverter.TryWriteBytes(context.AsSpan(0x30), 0x0010_0001u);
        BitConverter.TryWriteBytes(context.AsSpan(0xF8), rip);
        return context;
    }

    public static GuestCall Terminate(SyscallTable table) =>
        new("NtTerminateProcess", table.TryGetNumber("NtTerminateProcess", out var n) ? n : throw new InvalidOperationException("NtTerminateProcess"), [CurrentProcess, 0], 0) { Returns = false };

    internal static string Hex(ulong v) => v.ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Assembles the program at <paramref name="codeVa"/>: <paramref name="iterations"/> rounds of
    /// <paramref name="loop"/>, then <paramref name="last"/>.</summary>
    public static byte[] Assemble(ulong codeVa, ulong userRsp, IReadOnlyList<GuestCall> loop, GuestCall last, int iterations) =>
        CodeEmitter.Assemble(codeVa, a =>
        {
            var stubs = new Dictionary<string, Iced.Intel.Label>();
            Iced.Intel.Label Stub(string name)
            {
                if (!stubs.TryGetValue(name, out var l)) stubs[name] = l = a.CreateLabel(name);
                return l;
            }
            void Call(GuestCall c)
            {
                var regs = new[] { rcx, rdx, r8, r9 };
                for (var i = 4; i < c.Args.Count; i++)
                {
                    a.mov(rax, c.Args[i]);
                    a.mov(__qword_ptr[rsp + 0x20 + ((i - 4) * 8)], rax);
                }
                for (var i = 0; i < 4; i++) a.mov(regs[i], i < c.Args.Count ? c.Args[i] : 0UL);
                a.call(Stub(c.Name));
            }
            var top = a.CreateLabel();
            a.mov(rsp, userRsp + 8); // inside a stub, after the call, RSP = userRsp
            a.mov(r15, (ulong)iterations);
            a.Label(ref top);
            foreach (var c in loop) Call(c);
            a.dec(r15);
            a.jnz(top);
            Call(last);
            a.ud2();
            foreach (var c in loop.Append(last).DistinctBy(c => c.Name))
            {
                var l = Stub(c.Name);
                a.Label(ref l);
                a.mov(r10, rcx);
                a.mov(eax, c.Number);
                a.syscall();
                a.ret();
            }
        });
}
