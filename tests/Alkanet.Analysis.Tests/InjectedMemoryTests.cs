using System.Security.Cryptography;
using System.Text.Json;
using Alkanet.Analysis.Evidence;
using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Tests;

/// <summary>Injected memory from a log: ptrace POKE words merged while contiguous, process_vm_writev's captured local
/// bytes at the remote address, gaps with reasons, and memory/SHA256 with artifacts.json's "memory".</summary>
public sealed class InjectedMemoryTests : IDisposable
{
    private readonly EvidenceLog _log = new();

    public void Dispose() => _log.Dispose();

    private void Call(string call, string ret, string info) => _log.Call(call, ret, info);

    private void Poke(ulong addr, ulong word, string request = "PTRACE_POKEDATA") =>
        Call("ptrace", "0", $$"""{"request": "5", "request_name": "{{request}}", "target_pid": "63", "addr": "{{addr:x}}", "data": "{{word:x}}"}""");

    private Report Report() => _log.Report();

    [Fact]
    public void Contiguous_pokes_are_one_region_and_a_jump_starts_another()
    {
        Poke(0x601000, 0x1122334455667788, "PTRACE_POKETEXT");
        Poke(0x601008, 0x99);
        Poke(0x700000, 0x42);
        Call("ptrace", "0", """{"request": "2", "request_name": "PTRACE_PEEKDATA", "target_pid": "63", "addr": "601010", "data": "0"}""");
        var m = Report().InjectedMemory;
        m.Count.ShouldBe(2);
        m[0].Address.ShouldBe("601000");
        m[0].Size.ShouldBe(16);
        m[0].Sha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData([.. BitConverter.GetBytes(0x1122334455667788UL), .. BitConverter.GetBytes(0x99UL)])));
        m[0].Records.ShouldBe([1, 2, 3, 4]);
        m[0].TargetPid.ShouldBe("63");
        m[1].Address.ShouldBe("700000");
    }

    [Fact]
    public void Process_vm_writev_bytes_land_at_the_remote_address_and_merge_with_pokes()
    {
        var payload = "INJECTED-PAYLOAD"u8.ToArray();
        Poke(0x601000, 7);
        Call("process_vm_writev", "10", $$"""{"target_pid": "63", "base_address": "601008", "size": "10", "data": "{{Convert.ToBase64String(payload)}}"}""");
        var m = Report().InjectedMemory.ShouldHaveSingleItem();
        m.Techniques.ShouldBe(["process_vm_writev", "ptrace"]);
        m.Sha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData([.. BitConverter.GetBytes(7UL), .. payload])));
        m.Partial.ShouldBeFalse();
    }

    [Fact]
    public void A_long_process_vm_writev_is_partial()
    {
        Call("process_vm_writev", "1000", $$"""{"target_pid": "63", "base_address": "601000", "size": "1000", "data": "{{Convert.ToBase64String(new byte[384])}}"}""");
        Report().InjectedMemory.ShouldHaveSingleItem().PartialReasons.ShouldBe(["the hook captures the first 384 bytes of a call (4096 written)"]);
    }

    [Fact]
    public void Writes_to_proc_pid_mem_land_at_the_seeked_or_given_address()
    {
        var code = "\x90\x90PROC-MEM-PAYLOAD"u8.ToArray();
        Call("openat", "5", """{"path": "/proc/99/mem", "flags": "2", "out_handle": "5", "fd_path": "/proc/99/mem"}""");
        Call("lseek", "402000", """{"fd": "5", "whence": "0"}""");
        Call("write", "a", $$"""{"fd": "5", "fd_path": "/proc/99/mem", "size": "a", "data": "{{Convert.ToBase64String(code[..10])}}"}""");
        Call("pwrite64", $"{code.Length - 10:x}",
            $$"""{"fd": "5", "fd_path": "/proc/99/mem", "offset": "40200a", "data": "{{Convert.ToBase64String(code[10..])}}"}""");
        var m = Report().InjectedMemory.ShouldHaveSingleItem();
        m.TargetPid.ShouldBe("63", "pid 99 (the path's decimal) in hex, as every pid of the report");
        m.Address.ShouldBe("402000");
        m.Techniques.ShouldBe(["/proc/pid/mem"]);
        m.Sha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(code)));
        m.Partial.ShouldBeFalse();
        Report().DroppedFiles.ShouldBeEmpty("/proc/PID/mem is memory, not a file");
    }

    [Fact]
    public void The_store_writes_memory_and_the_index_and_the_report_has_the_section()
    {
        Poke(0x601000, 0x4242);
        var report = Report();
        var outDir = Path.Combine(_log.Dir, "run");
        Directory.CreateDirectory(outDir);
        ArtifactStore.Write(outDir, report.DroppedFileContent, report.InjectedMemoryContent);
        var sha = Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(0x4242UL)));
        File.ReadAllBytes(Path.Combine(outDir, "memory", sha)).ShouldBe(BitConverter.GetBytes(0x4242UL));
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, ArtifactStore.IndexName)));
        var entry = index.RootElement.GetProperty("memory")[0];
        entry.GetProperty("address").GetString().ShouldBe("601000");
        entry.GetProperty("source_name").GetString().ShouldBe("mal");
        ReportWriters.ToMarkdown(report).ShouldContain("## Injected memory");
        HtmlReportWriter.Write(report).ShouldContain($"<a href=\"memory/{sha}\" download>");
    }

    [Fact]
    public void A_region_has_the_protection_the_targets_own_mmap_and_mprotect_gave_it_and_unknown_without()
    {
        // The target (pid 63) maps RW and later makes the page RX; the injector's own mmap at the same address is its memory.
        _log.Call("mmap", "601000", """{"base_address": "0", "size": "2000", "prot": "3", "prot_names": "PROT_READ|PROT_WRITE"}""", pid: "63");
        Call("mmap", "601000", """{"base_address": "0", "size": "1000", "prot": "7", "prot_names": "PROT_READ|PROT_WRITE|PROT_EXEC"}""");
        Poke(0x601000, 0x4242);
        Poke(0x700000, 0x42); // nothing traced set this page's protection
        _log.Call("mprotect", "0", """{"base_address": "601000", "size": "1000", "prot": "5", "prot_names": "PROT_READ|PROT_EXEC"}""", pid: "63");
        var report = Report();
        var m = report.InjectedMemory;
        m.Count.ShouldBe(2);
        m[0].ProtectAtWrite.ShouldBe("PROT_READ|PROT_WRITE");
        m[0].ProtectLast.ShouldBe("PROT_READ|PROT_EXEC");
        m[1].ProtectAtWrite.ShouldBeNull();
        m[1].ProtectLast.ShouldBeNull();

        var md = ReportWriters.ToMarkdown(report);
        md.ShouldContain(@"| PROT_READ\|PROT_WRITE → PROT_READ\|PROT_EXEC |");
        md.ShouldContain("| unknown |");
        HtmlReportWriter.Write(report).ShouldContain("<td>PROT_READ|PROT_WRITE → PROT_READ|PROT_EXEC</td>");
        using var json = JsonDocument.Parse(ReportWriters.ToJson(report));
        json.RootElement.GetProperty("injected_memory")[0].GetProperty("protect_last").GetString().ShouldBe("PROT_READ|PROT_EXEC");

        var outDir = Path.Combine(_log.Dir, "run");
        Directory.CreateDirectory(outDir);
        ArtifactStore.Write(outDir, report.DroppedFileContent, report.InjectedMemoryContent);
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, ArtifactStore.IndexName)));
        var entries = index.RootElement.GetProperty("memory");
        entries[0].GetProperty("protect_at_write").GetString().ShouldBe("PROT_READ|PROT_WRITE");
        entries[0].GetProperty("protect_last").GetString().ShouldBe("PROT_READ|PROT_EXEC");
        entries[1].GetProperty("protect_at_write").ValueKind.ShouldBe(JsonValueKind.Null);
    }
}
