using System.CommandLine;
using System.Globalization;
using Alkanet.Core.Json;
using Alkanet.Core.Records;
using Alkanet.Core.Sinks;
using Alkanet.Introspection.Hooks;
using Alkanet.Vmm.Gdb;
using Alkanet.Vmm.Guest;
using Alkanet.Vmm.Qmp;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet trace --gdb HOST:PORT --os linux|windows</c>: attach to a running VM's gdbstub and trace its system calls.</summary>
internal static class TraceCommand
{
    public static Command Create()
    {
        var gdb = new Option<string>("--gdb") { Description = "The VM's gdbstub, HOST:PORT (QEMU: -gdb tcp::PORT or -s for 1234).", Required = true };
        var qmp = new Option<string?>("--qmp") {
            Description = "The VM's QMP socket (unix:PATH, a path, or HOST:PORT): its state is reported before and after." };
        var os = new Option<string>("--os") { Description = "The guest's OS: " + string.Join(" or ", GuestOsRegistry.Names) + ".", Required = true };
        var output = new Option<string?>("--out") {
            Description = "Write the records to FILE (JSON Lines; .gz compresses) instead of standard output." };
        var duration = new Option<string?>("--duration") {
            Description = "Stop after this long (30s, 5m, 1500ms); default: until Ctrl+C or the VM shuts down." };
        var maxHits = new Option<long?>("--max-hits") { Description = "Stop after this many breakpoint hits." };
        var timeout = new Option<string>("--timeout") { Description = "Deadline of every gdbstub/QMP exchange.", DefaultValueFactory = _ => "5s" };
        var profile = new Option<string?>("--profile") {
            Description = "Linux: the kernel's profile (a profile.txt saved by alkanet run); default: the analysis guest's cached one." };
        var vmlinux = new Option<string?>("--vmlinux") {
            Description = "Linux: derive the profile from this vmlinux (ELF with BTF), with --kallsyms." };
        var kallsyms = new Option<string?>("--kallsyms") {
            Description = "Linux: the kernel's symbols (/proc/kallsyms of a nokaslr boot, or System.map), with --vmlinux." };
        var cmd = new Command("trace", "Trace a running VM's system calls through QEMU's gdbstub (hardware breakpoints on the kernel's " +
            "system-call entry and exit; the guest is only read). For VMs under KVM or started by someone else.")
        {
            gdb, qmp, os, output, duration, maxHits, timeout, profile, vmlinux, kallsyms,
        };
        cmd.SetAction(parse => Run(
            parse.GetValue(gdb)!, parse.GetValue(qmp), parse.GetValue(os)!, parse.GetValue(output),
            parse.GetValue(duration) is { } d ? ParseDuration(d, "--duration") : null, parse.GetValue(maxHits),
            ParseDuration(parse.GetValue(timeout)!, "--timeout"),
            new TraceOsOptions(parse.GetValue(profile), parse.GetValue(vmlinux), parse.GetValue(kallsyms)),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return cmd;
    }

    private static int Run(string gdbEndpoint, string? qmpEndpoint, string os, string? outPath, TimeSpan? duration, long? maxHits,
        TimeSpan timeout, TraceOsOptions osOptions, TextWriter stdout, TextWriter stderr)
    {
        var (host, port) = ParseHostPort(gdbEndpoint);
        if (maxHits is <= 0) throw new UsageException("--max-hits must be at least 1");
        if ((osOptions.Vmlinux is null) != (osOptions.Kallsyms is null)) throw new UsageException("--vmlinux and --kallsyms go together");
        if (osOptions.ProfilePath is not null && osOptions.Vmlinux is not null)
            throw new UsageException("--profile and --vmlinux/--kallsyms both name the kernel: give one of them");
        var factory = GuestOsRegistry.Find(os, out var why) ?? throw new CommandFailedException($"--os {os}: {why}");

        QmpClient? qmp = null;
        try
        {
            if (qmpEndpoint is not null)
            {
                qmp = QmpClient.Connect(qmpEndpoint, timeout);
                stderr.WriteLine($"alkanet trace: QMP: QEMU {qmp.QemuVersion}, VM {qmp.Status()}");
            }
            using var client = GdbClient.Connect(host, port, new GdbClientOptions { Timeout = timeout });
            IGuestOs guestOs;
            KernelDiscovery found;
            try
            {
                guestOs = factory(osOptions.Settings());
                found = GdbAttach.Discover(client, guestOs);
            }
            catch
            {
                // Attaching stopped the VM: leave it running again when the profile cannot trace it.
                if (client.LastStop?.Kind is not (GdbStopKind.Exited or GdbStopKind.Terminated))
                {
                    try { client.Detach(); } catch (GdbProtocolException ex) { stderr.WriteLine($"alkanet trace: detach failed: {ex.Message}"); }
                }
                throw;
            }
            foreach (var note in found.Notes) stderr.WriteLine($"alkanet trace: {os}: {note}");
            foreach (var warning in found.Warnings) stderr.WriteLine($"alkanet trace: {os}: warning: {warning}");
            stderr.WriteLine($"alkanet trace: attached to {host}:{port} ({client.ListThreads().Count} vCPUs); sites: " +
                string.Join(", ", found.Sites.Select(s => $"{s.Name}@0x{s.Address:x} ({s.Kind.ToString().ToUpperInvariant()})")));
            GdbTraceSummary summary;
            using (var cancel = new CancellationTokenSource())
            {
                ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
                Console.CancelKeyPress += onCancel;
                try
                {
                    summary = Trace(client, guestOs, outPath, stdout, new GdbTracerOptions { Duration = duration, MaxHits = maxHits }, cancel.Token);
                }
                finally
                {
                    Console.CancelKeyPress -= onCancel;
                    if (client.Connection.PacketsSent > 0 && client.LastStop?.Kind is not (GdbStopKind.Exited or GdbStopKind.Terminated))
                    {
                        try { client.Detach(); } catch (GdbProtocolException ex) { stderr.WriteLine($"alkanet trace: detach failed: {ex.Message}"); }
                    }
                }
            }
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"alkanet trace: {summary.End.ToString().ToLowerInvariant()}: {summary.Records} records from {summary.Hits} hits in " +
                $"{summary.Elapsed.TotalSeconds:0.0} s ({summary.HitsPerSecond:0} hits/s, {summary.RoundTripsPerHit:0.0} packets/hit, " +
                $"{summary.RipSteps} RIP steps, {summary.SingleSteps} single steps)"));
            if (qmp is not null)
            {
                try { stderr.WriteLine($"alkanet trace: QMP: VM {qmp.Status()}"); }
                catch (QmpException ex) { stderr.WriteLine($"alkanet trace: QMP: {ex.Message}"); }
            }
            return ExitCodes.Ok;
        }
        catch (GdbProtocolException ex)
        {
            throw new CommandFailedException($"gdbstub {host}:{port}: {ex.Message}", ex);
        }
        catch (QmpException ex)
        {
            throw new CommandFailedException(ex.Message, ex);
        }
        catch (GdbWriteRefusedException ex)
        {
            // A profile asked for something that would change the guest: a bug in the profile, reported plainly.
            throw new CommandFailedException($"--os {os}: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new CommandFailedException($"--os {os}: {ex.Message}", ex);
        }
        finally
        {
            qmp?.Dispose();
        }
    }

    /// <summary>Runs the tracer into the sink; with --out the file appears only when the run ended cleanly
    /// (a failed run leaves FILE's ".partial" twin, named in the error).</summary>
    private static GdbTraceSummary Trace(GdbClient client, IGuestOs guestOs, string? outPath, TextWriter stdout,
        GdbTracerOptions options, CancellationToken cancellation)
    {
        if (outPath is null)
        {
            using var sink = new TextWriterSink(stdout);
            return new GdbSyscallTracer(client, guestOs, sink, options).Run(cancellation);
        }
        var full = Path.GetFullPath(outPath);
        var name = Path.GetFileName(full);
        var partial = Path.Combine(Path.GetDirectoryName(full)!, name.EndsWith(".gz", StringComparison.Ordinal)
            ? name[..^3] + ".partial.gz" : name + ".partial");
        GdbTraceSummary summary;
        try
        {
            using var sink = new JsonLinesFileSink(partial);
            summary = new GdbSyscallTracer(client, guestOs, sink, options).Run(cancellation);
        }
        catch (GdbProtocolException ex)
        {
            throw new GdbProtocolException($"{ex.Message} (the records so far are in {partial})", ex);
        }
        File.Move(partial, full, overwrite: true);
        return summary;
    }

    internal static (string Host, int Port) ParseHostPort(string text)
    {
        var colon = text.LastIndexOf(':');
        var host = colon <= 0 ? "" : text[..colon].Trim('[', ']');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
            throw new UsageException($"--gdb '{text}': expected HOST:PORT (e.g. localhost:1234)");
        return (host.Length == 0 ? "localhost" : host, port);
    }

    internal static TimeSpan ParseDuration(string text, string option)
    {
        var t = text.Trim();
        (string Suffix, double Scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (!t.EndsWith(suffix, StringComparison.Ordinal) || (suffix == "s" && t.EndsWith("ms", StringComparison.Ordinal))) continue;
            if (double.TryParse(t[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v * scale < 1e7)
                return TimeSpan.FromSeconds(v * scale);
            break;
        }
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds < 1e7)
            return TimeSpan.FromSeconds(seconds);
        throw new UsageException($"{option} '{text}': expected a positive duration such as 30s, 5m or 1500ms");
    }

    /// <summary>JSON Lines to the command's output (standard output).</summary>
    private sealed class TextWriterSink(TextWriter output) : IRecordSink
    {
        public void Write(SyscallRecord record) => output.WriteLine(RecordJson.Serialize(record));

        public void Flush() => output.Flush();

        public void Dispose() => output.Flush();
    }
}

/// <summary>What <c>alkanet trace</c> tells the OS factory about the kernel (<c>--profile</c>, <c>--vmlinux</c>,
/// <c>--kallsyms</c>) and where the analysis guest's cache is; a factory ignores what it does not use.</summary>
internal sealed record TraceOsOptions(string? ProfilePath = null, string? Vmlinux = null, string? Kallsyms = null)
{
    public GuestOsSettings Settings()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["cache"] = AlkanetPaths.Cache() };
        if (ProfilePath is not null) values["profile"] = ProfilePath;
        if (Vmlinux is not null) values["vmlinux"] = Vmlinux;
        if (Kallsyms is not null) values["kallsyms"] = Kallsyms;
        return new GuestOsSettings(values);
    }
}
