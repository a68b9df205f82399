namespace Alkanet.Introspection.Tests.Windows;

public class ProcessCallTests
{
    private readonly DecoderHarness _h = new();

    [Fact]
    public void NtCreateUserProcess_gives_image_and_command_line_then_the_new_ids()
    {
        var p = _h.Process;
        var parameters = p.UserAlloc(_h.Guest.Size("_RTL_USER_PROCESS_PARAMETERS"));
        p.Tables.WriteU32(parameters + _h.Guest.Off("_RTL_USER_PROCESS_PARAMETERS", "Flags"), 1);
        p.WriteUnicodeString(parameters + _h.Guest.Off("_RTL_USER_PROCESS_PARAMETERS", "ImagePathName"), @"\??\C:\Windows\System32\cmd.exe");
        p.WriteUnicodeString(parameters + _h.Guest.Off("_RTL_USER_PROCESS_PARAMETERS", "CommandLine"), @"cmd.exe /c whoami");
        var processOut = p.U64(0);
        var threadOut = p.U64(0);
        var cid = p.UserAlloc(16);
        var attrs = p.UserAlloc(8 + 32);
        p.Tables.WriteU64(attrs, 8 + 32);
        p.Tables.WriteU64(attrs + 8, 0x10003);
        p.Tables.WriteU64(attrs + 16, 16);
        p.Tables.WriteU64(attrs + 24, cid);
        var r = _h.Enter("NtCreateUserProcess", processOut, threadOut, 0x2000000, 0x2000000, 0, 0, 0x200, 1, parameters, p.UserAlloc(0x58), attrs);
        r.AdditionalInfo["image_name"].ShouldBe(@"\??\C:\Windows\System32\cmd.exe");
        r.AdditionalInfo["command_line"].ShouldBe("cmd.exe /c whoami");
        r.AdditionalInfo["desired_access_names"].ShouldBe("MAXIMUM_ALLOWED");

        var child = _h.Guest.AddProcess(0x2a10, "cmd.exe", 0x21f4, null, null);
        var childThread = child.AddThread(0x2a14);
        p.Tables.WriteU64(processOut, p.AddHandle(child.Eprocess));
        p.Tables.WriteU64(threadOut, p.AddHandle(childThread.Ethread));
        p.Tables.WriteU64(cid, 0x2a10);
        p.Tables.WriteU64(cid + 8, 0x2a14);
        var x = _h.Exit();
        x.AdditionalInfo["new_pid"].ShouldBe("2a10");
        x.AdditionalInfo["new_tid"].ShouldBe("2a14");
        x.AdditionalInfo["out_thread_handle"].ShouldNotBeNull();
    }

    [Fact]
    public void NtCreateProcessEx_and_NtOpenProcess_and_NtTerminateProcess()
    {
        var p = _h.Process;
        var outH = p.U64(0);
        var r = _h.Enter("NtCreateProcessEx", outH, 0x1FFFFF, 0, ulong.MaxValue, 4, 0, 0, 0, 0);
        r.AdditionalInfo["desired_access_names"].ShouldBe("PROCESS_ALL_ACCESS");
        r.AdditionalInfo["target_pid"].ShouldBe("21f4"); // parent = self
        var child = _h.Guest.AddProcess(0x3000, "child.exe", 0x21f4, null, null);
        p.Tables.WriteU64(outH, p.AddHandle(child.Eprocess));
        _h.Exit().AdditionalInfo["new_pid"].ShouldBe("3000");

        var o = _h.Enter("NtOpenProcess", outH, 0x1438, p.ObjectAttributes(null), p.ClientId(0x3000, 0));
        o.AdditionalInfo["target_pid"].ShouldBe("3000");
        o.AdditionalInfo["desired_access_names"].ShouldBe("PROCESS_VM_OPERATION|PROCESS_VM_READ|PROCESS_VM_WRITE|PROCESS_QUERY_INFORMATION|PROCESS_QUERY_LIMITED_INFORMATION");
        var h = p.AddHandle(child.Eprocess);
        p.Tables.WriteU64(outH, h);
        _h.Exit().AdditionalInfo["out_handle"].ShouldBe(h.ToString("x"));

        var t = _h.Enter("NtTerminateProcess", h, 1);
        t.AdditionalInfo["process_handle"].ShouldBe(h.ToString("x"));
        t.AdditionalInfo["target_pid"].ShouldBe("3000");
        _h.Exit().Name.ShouldBe("NtTerminateProcess");
    }

    [Fact]
    public void NtCreateThreadEx_in_another_process_gives_target_start_address_and_the_new_thread()
    {
        var p = _h.Process;
        var victim = _h.Guest.AddProcess(0x444, "explorer.exe", 0x400, null, null);
        var victimHandle = p.AddHandle(victim.Eprocess);
        var outH = p.U64(0);
        var r = _h.Enter("NtCreateThreadEx", outH, 0x1FFFFF, 0, victimHandle, 0x7FF6_1000_2000, 0, 1, 0, 0, 0, 0);
        r.SysNo.ShouldBe(0xBDUL);
        r.AdditionalInfo["target_pid"].ShouldBe("444");
        r.AdditionalInfo["start_address"].ShouldBe("7ff610002000");
        r.AdditionalInfo["flags_names"].ShouldBe("THREAD_CREATE_FLAGS_CREATE_SUSPENDED");
        var remote = victim.AddThread(0x558);
        p.Tables.WriteU64(outH, p.AddHandle(remote.Ethread));
        var x = _h.Exit();
        x.AdditionalInfo["new_tid"].ShouldBe("558");
        x.AdditionalInfo["new_pid"].ShouldBe("444");
    }

    [Fact]
    public void Thread_calls_resolve_their_target_thread()
    {
        var p = _h.Process;
        var victim = _h.Guest.AddProcess(0x444, "explorer.exe", 0x400, null, null);
        var vt = victim.AddThread(0x558);
        var th = p.AddHandle(vt.Ethread);
        var outH = p.U64(0);
        var o = _h.Enter("NtOpenThread", outH, 0x1A, p.ObjectAttributes(null), p.ClientId(0x444, 0x558));
        (o.AdditionalInfo["target_pid"], o.AdditionalInfo["target_tid"]).ShouldBe(("444", "558"));
        o.AdditionalInfo["desired_access_names"].ShouldBe("THREAD_SUSPEND_RESUME|THREAD_GET_CONTEXT|THREAD_SET_CONTEXT");
        p.Tables.WriteU64(outH, th);
        _h.Exit().AdditionalInfo["out_handle"].ShouldBe(th.ToString("x"));
        foreach (var call in new[] { "NtSuspendThread", "NtResumeThread", "NtGetContextThread", "NtSetContextThread" })
        {
            var r = _h.Enter(call, th, p.UserAlloc(0x4d0));
            r.AdditionalInfo["target_tid"].ShouldBe("558", call);
            r.AdditionalInfo["target_pid"].ShouldBe("444", call);
            _h.Exit().Name.ShouldBe(call);
        }
        var apc = _h.Enter("NtQueueApcThread", th, 0x7FF6_0000_1000, 0, 0, 0);
        apc.AdditionalInfo["apc_routine"].ShouldBe("7ff600001000");
        _h.Exit().Name.ShouldBe("NtQueueApcThread");
        var apcEx = _h.Enter("NtQueueApcThreadEx", th, 0, 0x7FF6_0000_2000, 0, 0, 0);
        apcEx.AdditionalInfo["apc_routine"].ShouldBe("7ff600002000");
        _h.Exit().Name.ShouldBe("NtQueueApcThreadEx");
        var hide = _h.Enter("NtSetInformationThread", ulong.MaxValue - 1, 0x11, 0, 0);
        hide.AdditionalInfo["info_class_name"].ShouldBe("ThreadHideFromDebugger");
        hide.AdditionalInfo["target_tid"].ShouldBe("21f8"); // current-thread handle resolves to the caller
        _h.Exit().Name.ShouldBe("NtSetInformationThread");
    }

    [Fact]
    public void Information_queries_name_their_class()
    {
        var q = _h.Enter("NtQueryInformationProcess", ulong.MaxValue, 7, _h.Process.UserAlloc(8), 8, 0);
        q.AdditionalInfo["info_class_name"].ShouldBe("ProcessDebugPort");
        q.AdditionalInfo["target_pid"].ShouldBe("21f4");
        _h.Exit().Name.ShouldBe("NtQueryInformationProcess");
        var s = _h.Enter("NtQuerySystemInformation", 5, _h.Process.UserAlloc(64), 64, 0);
        s.AdditionalInfo["info_class_name"].ShouldBe("SystemProcessInformation");
        _h.Exit(0xC0000004).RetVal.ShouldBe(0xC0000004UL);
    }
}
