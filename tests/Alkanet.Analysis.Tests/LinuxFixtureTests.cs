namespace Alkanet.Analysis.Tests;

public class LinuxFixtureTests
{
    private static readonly string Log = TestLogs.Fixture("linux-persistence.jsonl");

    [Fact]
    public void Fork_then_execve_makes_a_child_with_the_new_image_and_command_line()
    {
        var r = TestLogs.Report(Log, "mal");
        var mal = r.Processes.Single(p => p.Pid == "65");
        mal.Name.ShouldBe("mal");
        mal.Image.ShouldBe("/tmp/mal");
        mal.CommandLine.ShouldBe("/tmp/mal -d");
        mal.ParentSeq.ShouldBe(r.Processes.Single(p => p.Name == "bash").Seq);
        mal.ParentSource.ShouldBe("creation");
        mal.ExitNo.ShouldNotBeNull();
    }

    [Theory]
    [InlineData("linux-cron", "T1053.003")]
    [InlineData("linux-shell-profile", "T1546.004")]
    [InlineData("linux-systemd", "T1543.002")]
    [InlineData("linux-ptrace-injection", "T1055.008")]
    [InlineData("linux-ptrace-traceme", "T1622")]
    [InlineData("linux-process-masquerade", "T1036.005")]
    [InlineData("self-deletion", "T1070.004")]
    public void Linux_rules_fire(string rule, string technique)
    {
        var r = TestLogs.Report(Log, "mal");
        r.Findings.Single(f => f.Rule == rule).Attack.Select(t => t.Id).ShouldContain(technique);
    }

    [Fact]
    public void The_ptraced_thread_is_attributed_and_its_file_writes_are_the_samples()
    {
        var r = TestLogs.Report(Log, "mal");
        var sshd = r.Processes.Single(p => p.Name == "sshd");
        sshd.Role.ShouldBe("injected");
        r.InjectedThreads.ShouldContain(t => t.ProcessSeq == sshd.Seq && t.Tid == "80" && t.Technique == "ptrace");
        r.Behaviour.ShouldContain(i => i.Object == "/tmp/.x" && i.InjectedThread);
        r.Behaviour.ShouldContain(i => i.Object == "/etc/cron.d/evil" && i.Kind == "file_create");
        r.Behaviour.ShouldContain(i => i.Object == "/etc/cron.d/evil" && i.Kind == "file_write"); // write(fd) resolved through the fd table
        r.Findings.ShouldNotContain(f => f.Rule == "linux-ptrace-regs"); // fallback quiet
    }
}
