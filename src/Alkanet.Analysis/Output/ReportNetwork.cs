namespace Alkanet.Analysis.Output;

/// <summary>The report's Network section (JSON "network"): what Suricata parsed from the run's capture (<c>DIR/network.json</c>,
/// docs/NETWORK.md), the flows joined to the sample's processes, and the network IOCs. <see cref="Error"/> set: the file
/// could not be read, and the section says why instead of listing anything.</summary>
public sealed class ReportNetwork
{
    /// <summary>The network.json read.</summary>
    public string Source { get; set; } = "";

    /// <summary>Why the file could not be read (with where: line, JSON path); null when it was read.</summary>
    public string? Error { get; set; }

    public List<ReportDns> Dns { get; set; } = [];

    public List<ReportHttp> Http { get; set; } = [];

    public List<ReportTls> Tls { get; set; } = [];

    public List<ReportFlow> Flows { get; set; } = [];

    /// <summary>Suricata's alerts; each signature is also a finding (<c>suricata:SID</c>).</summary>
    public List<ReportAlert> Alerts { get; set; } = [];

    public ReportNetworkIocs Iocs { get; set; } = new();

    /// <summary>eve.json lines Suricata's reader could not parse (a torn last line), as network.json counts them.</summary>
    public long EveBadLines { get; set; }

    /// <summary>The capture as the run bounded it (<c>--capture-limit</c>); null when network.json does not say.</summary>
    public ReportCapture? Capture { get; set; }
}

/// <summary>The capture Suricata read: whole frames kept, bytes, the limit, and whether the limit cut it (then frames
/// after the cut, and their flows, are missing from the section).</summary>
public sealed class ReportCapture
{
    public long Frames { get; set; }

    public long Bytes { get; set; }

    public long LimitBytes { get; set; }

    public bool Truncated { get; set; }

    /// <summary>"capture truncated at 64 MiB" (the limit in whole MiB as --capture-limit takes it, else in bytes); null when
    /// not truncated.</summary>
    public string? Note => Truncated
        ? $"capture truncated at {(LimitBytes % (1L << 20) == 0 ? $"{LimitBytes >> 20} MiB" : $"{LimitBytes} bytes")}"
        : null;
}

public sealed class ReportDns
{
    public string Name { get; set; } = "";

    public string Type { get; set; } = "";

    public List<string> Answers { get; set; } = [];
}

public sealed class ReportHttp
{
    public string Method { get; set; } = "";

    public string Host { get; set; } = "";

    /// <summary>The request's URI as sent (path and query).</summary>
    public string Uri { get; set; } = "";

    public string UserAgent { get; set; } = "";

    public int? Status { get; set; }

    /// <summary>"IP:PORT" of the client and of the server.</summary>
    public string Client { get; set; } = "";

    public string Server { get; set; } = "";

    /// <summary>http://HOST + URI (the URI itself when it is already absolute, as a proxy request's is).</summary>
    public string Url => Uri.Contains("://", StringComparison.Ordinal) ? Uri : $"http://{Host}{Uri}";
}

public sealed class ReportTls
{
    public string Sni { get; set; } = "";

    public string? Version { get; set; }

    /// <summary>JA3 (client) and JA3S (server) MD5 hashes and the JA4 fingerprint, when Suricata computed them.</summary>
    public string? Ja3 { get; set; }

    public string? Ja3s { get; set; }

    public string? Ja4 { get; set; }
}

public sealed class ReportFlow
{
    public string Proto { get; set; } = "";

    public string Src { get; set; } = "";

    public int SrcPort { get; set; }

    public string Dst { get; set; } = "";

    public int DstPort { get; set; }

    public string? App { get; set; }

    public long Packets { get; set; }

    public string Start { get; set; } = "";

    /// <summary>The processes network.json names for the flow ("name (pid hex)").</summary>
    public List<string> Processes { get; set; } = [];

    /// <summary>The sample's processes (report <c>seq</c>) that opened the flow, and the records of their connect/sendto
    /// (see <see cref="Match"/>).</summary>
    public List<int> ProcessSeqs { get; set; } = [];

    /// <summary>How the flow was joined to its process: <c>5-tuple</c> (the call's protocol, local port, remote address and
    /// port, the flow starting after it), <c>address</c> (only the remote address and port: every process that named it),
    /// null when no call matched.</summary>
    public string? Match { get; set; }

    public List<long> Records { get; set; } = [];
}

public sealed class ReportAlert
{
    public long Sid { get; set; }

    public string Signature { get; set; } = "";

    public string Category { get; set; } = "";

    /// <summary>Suricata's severity: 1 high, 2 medium, 3 low.</summary>
    public int Severity { get; set; }

    public string Src { get; set; } = "";

    public string Dst { get; set; } = "";
}

/// <summary>The network indicators of the run: names looked up or contacted, URLs requested, and the addresses the guest
/// contacted by literal address (the fake DNS's answers stand for the names and are left out: in the isolated network
/// every one of them is the sink's).</summary>
public sealed class ReportNetworkIocs
{
    public List<string> Domains { get; set; } = [];

    public List<string> Urls { get; set; } = [];

    public List<string> Ips { get; set; } = [];
}
