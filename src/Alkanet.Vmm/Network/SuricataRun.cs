using System.Diagnostics;
using Alkanet.Vmm.Host;

namespace Alkanet.Vmm.Network;

/// <summary>
/// Parsing the capture with Debian's Suricata, offline: <c>suricata -r DIR/network.pcap -l DIR/suricata</c> with
/// Debian's suricata.yaml (its eve-log writes alert, dns, http, tls, flow... to eve.json) and only this project's
/// rules (data/suricata/alkanet-samples.rules, embedded) plus the user's folder of *.rules when given. Suricata
/// decodes the packets, never this code: malformed frames are Suricata's to skip (it counts them in its stats).
/// </summary>
public static class SuricataRun
{
    public const string DefaultConfig = "/etc/suricata/suricata.yaml";

    /// <summary>Runs Suricata on <paramref name="pcap"/> into <paramref name="outDirectory"/>; returns eve.json's path.
    /// Missing Suricata: <see cref="PrerequisiteMissingException"/>; Suricata failing: <see cref="InvalidOperationException"/>
    /// with its last lines.</summary>
    public static string Run(string pcap, string outDirectory, string? userRules = null, TimeSpan? limit = null)
    {
        var suricata = Require();
        if (userRules is not null && !Directory.Exists(userRules)) throw new DirectoryNotFoundException($"--rules: {userRules} is not a folder");
        Directory.CreateDirectory(outDirectory);
        var rules = Path.Combine(outDirectory, "rules.rules");
        File.WriteAllText(rules, Rules(userRules));
        var psi = new ProcessStartInfo(suricata) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", DefaultConfig, "-r", pcap, "-l", outDirectory, "-S", rules, "-k", "none", "--runmode", "single" })
            psi.ArgumentList.Add(a);
        // TLS client/server fingerprints in eve.json's tls events (Debian's configuration leaves them to "auto": off
        // unless a rule uses them); Suricata versions without JA4 ignore the second.
        foreach (var set in new[] { "app-layer.protocols.tls.ja3-fingerprints=yes", "app-layer.protocols.tls.ja4-fingerprints=yes" })
        {
            psi.ArgumentList.Add("--set");
            psi.ArgumentList.Add(set);
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start suricata");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit ?? TimeSpan.FromMinutes(10)))
        {
            p.Kill(true);
            throw new TimeoutException($"suricata did not finish reading {pcap} within {(limit ?? TimeSpan.FromMinutes(10)).TotalMinutes:0} min");
        }
        var output = stdout.Result + stderr.Result;
        File.WriteAllText(Path.Combine(outDirectory, "suricata.out"), output);
        var eve = Path.Combine(outDirectory, "eve.json");
        if (p.ExitCode != 0 || !File.Exists(eve))
            throw new InvalidOperationException($"suricata failed on {pcap} (exit {p.ExitCode}): " +
                string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(4)));
        return eve;
    }

    /// <summary>Suricata's path; missing: <see cref="PrerequisiteMissingException"/> naming the setup step.</summary>
    public static string Require()
    {
        var suricata = HostTools.FindOnPath("suricata") ?? throw new PrerequisiteMissingException(
            "suricata is not installed (alkanet run --network parses the capture with it); install it with: sudo bash scripts/setup.sh   " +
            "(or just its step: sudo bash scripts/setup.d/55-network.sh)");
        if (!File.Exists(DefaultConfig))
            throw new PrerequisiteMissingException($"{DefaultConfig} is missing (reinstall suricata: scripts/setup.d/55-network.sh)");
        return suricata;
    }

    /// <summary>The project's rules, then every *.rules file of the user's folder (sorted by name).</summary>
    private static string Rules(string? userRules)
    {
        using var s = typeof(SuricataRun).Assembly.GetManifestResourceStream("suricata/alkanet-samples.rules")
            ?? throw new InvalidOperationException("suricata/alkanet-samples.rules is not embedded in Alkanet.Vmm");
        var text = new StreamReader(s).ReadToEnd();
        if (userRules is null) return text;
        foreach (var f in Directory.GetFiles(userRules, "*.rules").Order(StringComparer.Ordinal))
            text += $"\n# {f}\n" + File.ReadAllText(f);
        return text;
    }
}
