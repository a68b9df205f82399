using System.Globalization;
using System.Text.Json;
using Alkanet.Analysis.Output;
using Alkanet.Analysis.Pipeline;

namespace Alkanet.Analysis.Tests;

/// <summary>The join of captured flows to the processes that opened them: two processes of the sample connect to the same
/// server from different local ports; each flow goes to its own process by 5-tuple (protocol, local port, remote address
/// and port) and time, and a flow whose source port no record names, or that began before the only matching connect,
/// falls back to the address-only match (every process that named the server), saying so.</summary>
public class FlowJoinTests
{
    private const long T0 = 1_796_544_476_000_000_000; // 2026-12-06T08:07:56Z

    private static string Flow(int srcPort, string proto, long startNs) =>
        $$"""{"proto": "{{proto}}", "src": "10.13.0.2", "src_port": {{srcPort}}, "dst": "10.13.0.1", "dst_port": 80, "app": "http", """
        + $$"""
            "packets": 6, "start": "{{DateTimeOffset.FromUnixTimeMilliseconds(startNs / 1_000_000).UtcDateTime
                .ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture)}}+0000", "processes": []}
            """;

    /// <summary>A run's trace: stager (pid 0x40) forks 0x41 and 0x42; each opens a TCP socket and connects it to
    /// 10.13.0.1:80 at T0 (local ports 41000 and 41001); 0x42 connects again at T0 + 60 s from port 41002; 0x41 sends a UDP
    /// datagram to the same address and port from port 41000 (another protocol, same numbers).</summary>
    private static string Trace()
    {
        var lines = new List<string>();
        var no = 0;
        void Rec(string log, string pid, string ppid, int seq, string name, string ret, string info, long ns) =>
            lines.Add($$"""{"no":{{++no}},"cpu_id":0,"logtype":"{{log}}","proc_pid":"{{pid}}","proc_tid":"{{pid}}","proc_name":"stager",""" +
                $$"""
                "name":"{{name}}","sys_no":"0","type":"syscall","ret_val":"{{ret}}","additional_info":{{{info}}},"timestamp_ns":{{ns}},
                """ + $$"""
                "proc_ppid":"{{ppid}}","proc_seq":{{seq}}}
                """);
        void Call(string pid, int seq, string name, string enter, string ret, string exit, long ns)
        {
            Rec("ENTER", pid, "40", seq, name, "0", enter, ns);
            Rec("EXIT", pid, "40", seq, name, ret, exit, ns + 1000);
        }
        Rec("ENTER", "40", "1", 1, "execve", "0", "\"path\":\"/tmp/stager\"", T0 - 3_000_000_000);
        Rec("EXIT", "40", "1", 1, "execve", "0", "", T0 - 2_900_000_000);
        foreach (var (child, seq) in new[] { ("41", 2), ("42", 3) })
        {
            Rec("ENTER", "40", "1", 1, "clone", "0", "", T0 - 2_000_000_000);
            Rec("EXIT", "40", "1", 1, "clone", child, $"\"new_pid\":\"{child}\"", T0 - 1_900_000_000);
            Rec("EXIT", child, "40", seq, "clone", "0", "\"unpaired\":\"fork_child\"", T0 - 1_800_000_000);
        }
        foreach (var (pid, seq, port, at) in new[] { ("41", 2, 41000, T0), ("42", 3, 41001, T0), ("42", 3, 41002, T0 + 60_000_000_000) })
        {
            Call(pid, seq, "socket", "\"family\":\"AF_INET\",\"type\":\"1\",\"protocol\":\"0\"", "3", "\"out_handle\":\"3\"", at - 500_000);
            Call(pid, seq, "connect", "\"fd\":\"3\",\"family\":\"AF_INET\",\"remote_address\":\"10.13.0.1:80\"", "0",
                $"\"local_port\":\"{port}\",\"local_address\":\"10.13.0.2:{port}\"", at);
        }
        Call("41", 2, "socket", "\"family\":\"AF_INET\",\"type\":\"2\",\"protocol\":\"0\"", "4", "\"out_handle\":\"4\"", T0 + 1_000_000_000);
        Call("41", 2, "sendto", "\"fd\":\"4\",\"size\":\"10\",\"family\":\"AF_INET\",\"remote_address\":\"10.13.0.1:80\"", "10",
            "\"local_port\":\"41000\"", T0 + 1_100_000_000);
        return string.Join('\n', lines) + "\n";
    }

    private static Report RunWith(params string[] flows)
    {
        var dir = Directory.CreateTempSubdirectory("alkanet-flowjoin-").FullName;
        File.WriteAllText(Path.Combine(dir, "trace.jsonl"), Trace());
        File.WriteAllText(Path.Combine(dir, NetworkFile.Name), $$"""{"flows": [{{string.Join(", ", flows)}}]}""");
        return ReportPipeline.Run(ReportSource.FromFiles([Path.Combine(dir, "trace.jsonl")]), new ReportPipelineOptions { Sample = "0x40" });
    }

    private static int Seq(Report r, string pid) => r.Processes.Single(p => p.Pid == pid).Seq;

    [Fact]
    public void Two_processes_talking_to_the_same_server_each_get_their_own_flow_by_5_tuple()
    {
        var r = RunWith(Flow(41000, "TCP", T0 + 200_000_000), Flow(41001, "TCP", T0 + 300_000_000));
        var flows = r.Network.ShouldNotBeNull().Flows;
        flows[0].ProcessSeqs.ShouldBe([Seq(r, "41")]);
        flows[1].ProcessSeqs.ShouldBe([Seq(r, "42")]);
        flows.ShouldAllBe(f => f.Match == "5-tuple");
        // the records are those of the connect that opened the flow (its ENTER and its EXIT, which names the port)
        flows[0].Records.ShouldBe([11L, 12L]);
        flows[1].Records.ShouldBe([15L, 16L]);
        var md = ReportWriters.ToMarkdown(r);
        md.ShouldContain("(match: 5-tuple)");
        using var doc = JsonDocument.Parse(ReportWriters.ToJson(r));
        doc.RootElement.GetProperty("network").GetProperty("flows")[1].GetProperty("match").GetString().ShouldBe("5-tuple");
    }

    [Fact]
    public void The_protocol_must_agree_a_UDP_flow_from_the_same_port_is_the_sendtos()
    {
        var r = RunWith(Flow(41000, "UDP", T0 + 1_200_000_000));
        var flow = r.Network!.Flows.ShouldHaveSingleItem();
        flow.Match.ShouldBe("5-tuple");
        flow.ProcessSeqs.ShouldBe([Seq(r, "41")]);
        flow.Records.ShouldBe([23L, 24L]); // the sendto's, not the TCP connect's from the same port
    }

    [Fact]
    public void A_flow_no_record_names_the_port_of_or_begun_before_the_connect_falls_back_to_the_address_match()
    {
        // 41003: no call names it; 41002: its connect came 60 s later, so it did not open a flow begun now.
        var r = RunWith(Flow(41003, "TCP", T0 + 200_000_000), Flow(41002, "TCP", T0 + 200_000_000));
        foreach (var f in r.Network!.Flows)
        {
            f.Match.ShouldBe("address");
            f.ProcessSeqs.ShouldBe([Seq(r, "41"), Seq(r, "42")]);
        }
        ReportWriters.ToMarkdown(r).ShouldContain("(match: address)");
    }

    [Theory]
    [InlineData("2026-12-06T08:07:55.250817+0000", 1_796_544_475_250_817_000L)]
    [InlineData("2026-12-06T09:07:55.250817+0100", 1_796_544_475_250_817_000L)]
    [InlineData("not a time", null)]
    [InlineData("", null)]
    public void Suricatas_flow_start_is_read_as_unix_ns(string start, long? ns) => FlowJoin.StartNs(start).ShouldBe(ns);
}
