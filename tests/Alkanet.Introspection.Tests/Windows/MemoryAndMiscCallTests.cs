namespace Alkanet.Introspection.Tests.Windows;

public class MemoryAndMiscCallTests
{
    private readonly DecoderHarness _h = new();

    [Fact]
    public void Virtual_memory_calls_give_base_size_and_protections_at_enter_and_exit()
    {
        var p = _h.Process;
        var victim = _h.Guest.AddProcess(0x444, "explorer.exe", 0x400, null, null);
        var vh = p.AddHandle(victim.Eprocess);
        var baseAddr = p.U64(0);
        var size = p.U64(0x1000);
        var a = _h.Enter("NtAllocateVirtualMemory", vh, baseAddr, 0, size, 0x3000, 0x40);
        a.AdditionalInfo["target_pid"].ShouldBe("444");
        a.AdditionalInfo["region_size"].ShouldBe("1000");
        a.AdditionalInfo["allocation_type_names"].ShouldBe("MEM_COMMIT|MEM_RESERVE");
        a.AdditionalInfo["protect_names"].ShouldBe("PAGE_EXECUTE_READWRITE");
        p.Tables.WriteU64(baseAddr, 0x1D0000);
        var ax = _h.Exit();
        ax.AdditionalInfo["base_address"].ShouldBe("1d0000");
        ax.AdditionalInfo["region_size"].ShouldBe("1000");

        var written = p.U64(0);
        var w = _h.Enter("NtWriteVirtualMemory", vh, 0x1D0000, p.UserAlloc(0x200), 0x200, written);
        (w.AdditionalInfo["base_address"], w.AdditionalInfo["size"]).ShouldBe(("1d0000", "200"));
        p.Tables.WriteU64(written, 0x200);
        _h.Exit().AdditionalInfo["bytes_written"].ShouldBe("200");

        var rd = _h.Enter("NtReadVirtualMemory", vh, 0x1D0000, p.UserAlloc(0x10), 0x10, 0);
        rd.AdditionalInfo["size"].ShouldBe("10");
        _h.Exit().Name.ShouldBe("NtReadVirtualMemory");

        var old = p.UserAlloc(4);
        var pr = _h.Enter("NtProtectVirtualMemory", vh, p.U64(0x1D0000), p.U64(0x1000), 0x20, old);
        pr.AdditionalInfo["new_protect_names"].ShouldBe("PAGE_EXECUTE_READ");
        pr.AdditionalInfo["base_address"].ShouldBe("1d0000");
        p.Tables.WriteU32(old, 0x04);
        _h.Exit().AdditionalInfo["old_protect_names"].ShouldBe("PAGE_READWRITE");
    }

    [Fact]
    public void Sections_map_and_unmap()
    {
        var p = _h.Process;
        var file = p.AddHandle(_h.Guest.AddFile(@"\Windows\System32\ntdll.dll"));
        var outH = p.U64(0);
        var c = _h.Enter("NtCreateSection", outH, 0xF001F, 0, 0, 0x2, 0x1000000, file);
        c.AdditionalInfo["allocation_type_names"].ShouldBe("SEC_IMAGE");
        c.AdditionalInfo["object_name"].ShouldBe(@"\Windows\System32\ntdll.dll");
        var section = p.AddHandle(_h.Guest.AddNamedObject("Section", "KnownDll"));
        p.Tables.WriteU64(outH, section);
        _h.Exit().AdditionalInfo["out_handle"].ShouldBe(section.ToString("x"));

        var baseAddr = p.U64(0);
        var viewSize = p.U64(0);
        var m = _h.Enter("NtMapViewOfSection", section, ulong.MaxValue, baseAddr, 0, 0, 0, viewSize, 1, 0, 0x20);
        m.AdditionalInfo["object_name"].ShouldBe("KnownDll");
        m.AdditionalInfo["target_pid"].ShouldBe("21f4");
        p.Tables.WriteU64(baseAddr, 0x7FFA_0000_0000);
        p.Tables.WriteU64(viewSize, 0x1F_0000);
        var mx = _h.Exit();
        (mx.AdditionalInfo["base_address"], mx.AdditionalInfo["region_size"]).ShouldBe(("7ffa00000000", "1f0000"));

        _h.Enter("NtUnmapViewOfSection", ulong.MaxValue, 0x7FFA_0000_0000).AdditionalInfo["base_address"].ShouldBe("7ffa00000000");
        _h.Exit().Name.ShouldBe("NtUnmapViewOfSection");
    }

    [Fact]
    public void Mutants_delays_drivers_and_close()
    {
        var p = _h.Process;
        var outH = p.U64(0);
        var m = _h.Enter("NtCreateMutant", outH, 0x1F0001, p.ObjectAttributes(@"\BaseNamedObjects\Global\m1"), 0);
        m.AdditionalInfo["mutant_name"].ShouldBe(@"\BaseNamedObjects\Global\m1");
        m.AdditionalInfo["desired_access_names"].ShouldBe("MUTANT_ALL_ACCESS");
        var mh = p.AddHandle(_h.Guest.AddNamedObject("Mutant", "m1"));
        p.Tables.WriteU64(outH, mh);
        _h.Exit().AdditionalInfo["out_handle"].ShouldBe(mh.ToString("x"));
        _h.Enter("NtOpenMutant", outH, 0x100000, p.ObjectAttributes("m1")).AdditionalInfo["mutant_name"].ShouldBe("m1");
        _h.Exit(0xC0000034).RetVal.ShouldBe(0xC0000034UL);

        _h.Enter("NtDelayExecution", 0, p.U64(unchecked((ulong)-50_000_000L))).AdditionalInfo["interval_100ns"].ShouldBe("-50000000");
        _h.Exit().Name.ShouldBe("NtDelayExecution");

        _h.Enter("NtLoadDriver", p.UnicodeString(@"\Registry\Machine\System\CurrentControlSet\Services\evil"))
            .AdditionalInfo["driver_service_name"].ShouldBe(@"\Registry\Machine\System\CurrentControlSet\Services\evil");
        _h.Exit(0xC0000061).RetVal.ShouldBe(0xC0000061UL);

        var c = _h.Enter("NtClose", mh);
        c.AdditionalInfo["handle"].ShouldBe(mh.ToString("x"));
        c.AdditionalInfo["object_name"].ShouldBe("m1");
        _h.Exit().Name.ShouldBe("NtClose");
    }

    [Fact]
    public void Kernel_handles_resolve_through_the_kernel_handle_table()
    {
        var system = _h.Guest.SystemProcess;
        var kh = system.AddHandle(_h.Guest.AddFile(@"\pagefile.sys"));
        _h.Enter("NtClose", kh | 0xFFFF_FFFF_8000_0000UL).AdditionalInfo["object_name"].ShouldBe(@"\pagefile.sys");
    }

    [Fact]
    public void A_two_level_handle_table_resolves()
    {
        var h = new DecoderHarness();
        var proc = h.Guest.AddProcess(0x700, "big.exe", 4, null, null, handleTableLevels: 1);
        var thread = proc.AddThread();
        var handle = proc.AddHandle(h.Guest.AddFile(@"\big.txt"));
        handle.ShouldBeGreaterThanOrEqualTo(1024UL); // past the first page of 256 entries
        h.Enter(thread, "NtClose", handle).AdditionalInfo["object_name"].ShouldBe(@"\big.txt");
    }
}
