namespace Alkanet.Analysis.Output;

/// <summary>The report, as written in JSON (schema "alkanet-report/1", documented in docs/REPORT.md).</summary>
public sealed class Report
{
    public string Schema { get; set; } = "alkanet-report/1";

    public ReportInput Input { get; set; } = new();

    public ReportSample Sample { get; set; } = new();

    public List<ReportProcess> Processes { get; set; } = [];

    public List<ReportInjectedThread> InjectedThreads { get; set; } = [];

    public List<ReportInjection> Injections { get; set; } = [];

    public List<ReportItem> Behaviour { get; set; } = [];

    public List<ReportFinding> Findings { get; set; } = [];

    public ReportBaseline? Baseline { get; set; }

    /// <summary>Screenshots of the guest's display taken during the run (image runs: screenshots/NNN-LABEL.png, relative to
    /// the report's folder), in order; null (not in the JSON) for imported logs and the Linux analysis guest.</summary>
    public List<string>? Screenshots { get; set; }

    /// <summary>First occurrence of each behaviour item and each injection step, in record order (capped).</summary>
    public List<ReportTimelineEntry> Timeline { get; set; } = [];

    /// <summary>Files the sample wrote, rebuilt from captured writes (docs/EVIDENCE.md); empty when nothing was captured.</summary>
    public List<ReportDroppedFile> DroppedFiles { get; set; } = [];

    /// <summary>The dropped files with their content, for <see cref="Evidence.ArtifactStore"/>; not part of the JSON.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<Evidence.DroppedFileArtifact> DroppedFileContent { get; set; } = [];

    /// <summary>Bytes the sample wrote into other processes (ptrace POKE runs, process_vm_writev), docs/EVIDENCE.md.</summary>
    public List<ReportInjectedMemory> InjectedMemory { get; set; } = [];

    /// <summary>DNS, HTTP, TLS, flows and alerts from the run's network.json, and the network IOCs; null without one.</summary>
    public ReportNetwork? Network { get; set; }

    /// <summary>The injected regions with their content, for <see cref="Evidence.ArtifactStore"/>; not part of the JSON.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<Evidence.InjectedMemoryArtifact> InjectedMemoryContent { get; set; } = [];
}

public sealed class ReportInput
{
    public List<string> Files { get; set; } = [];

    public string Format { get; set; } = "alkanet";

    public long Records { get; set; }

    public long Calls { get; set; }

    public long LostRecords { get; set; }

    public long SkippedRecords { get; set; }

    public List<string> SkippedErrors { get; set; } = [];

    public long FirstNo { get; set; }

    public long LastNo { get; set; }

    public long? FirstNs { get; set; }

    public long? LastNs { get; set; }
}

public sealed class ReportSample
{
    public string Spec { get; set; } = "";

    /// <summary>Where the choice came from: "--sample", a sidecar file, or the importer.</summary>
    public string ChosenBy { get; set; } = "";

    public List<int> Roots { get; set; } = [];

    public List<int> Processes { get; set; } = [];

    /// <summary>The roots by image name and decimal pid: what the header calls the sample.</summary>
    public List<ReportSampleName> Names { get; set; } = [];
}

/// <summary>A sample root's image name and decimal process id.</summary>
public sealed record ReportSampleName(string Name, ulong ProcessId);

public sealed class ReportProcess
{
    public int Seq { get; set; }

    /// <summary>Process id in hex, like the log.</summary>
    public string Pid { get; set; } = "";

    /// <summary>The same process id as a number (decimal in JSON), as CAPE, DRAKVUF, capa and VirusTotal give it.</summary>
    public ulong ProcessId { get; set; }

    public string Name { get; set; } = "";

    public string? Image { get; set; }

    public string? CommandLine { get; set; }

    public int? ParentSeq { get; set; }

    public string? ParentPid { get; set; }

    public ulong? ParentProcessId { get; set; }

    /// <summary>creation, proc_ppid, importer or unknown.</summary>
    public string ParentSource { get; set; } = "unknown";

    /// <summary>sample (a root), child (created by the sample), injected (runs injected threads), or other.</summary>
    public string Role { get; set; } = "other";

    public long? CreatedNo { get; set; }

    public long FirstNo { get; set; }

    public long LastNo { get; set; }

    public long? ExitNo { get; set; }

    public long? StartNs { get; set; }

    public long? ExitNs { get; set; }

    public long Calls { get; set; }

    public int Threads { get; set; }
}

public sealed class ReportInjectedThread
{
    public int ProcessSeq { get; set; }

    public string Tid { get; set; } = "";

    public int BySeq { get; set; }

    public string ByTid { get; set; } = "";

    public string Technique { get; set; } = "";

    public long No { get; set; }
}

public sealed class ReportInjection
{
    public int SourceSeq { get; set; }

    public int TargetSeq { get; set; }

    public string Source { get; set; } = "";

    public string Target { get; set; } = "";

    /// <summary>Named techniques from the matched rules (e.g. "T1055.012 Process Hollowing").</summary>
    public List<string> Techniques { get; set; } = [];

    /// <summary>The injection catalogue's techniques for this pair, each with the records of every step.</summary>
    public List<ReportInjectionTechnique> Catalogue { get; set; } = [];

    /// <summary>Counts per spread kind (memory_write_remote: 3, ...).</summary>
    public SortedDictionary<string, long> Steps { get; set; } = new(StringComparer.Ordinal);

    public List<long> Records { get; set; } = [];
}

public sealed class ReportItem
{
    public string Kind { get; set; } = "";

    public string Object { get; set; } = "";

    public string? Detail { get; set; }

    public List<string> Tags { get; set; } = [];

    public int ProcessSeq { get; set; }

    public string Tid { get; set; } = "";

    public bool InjectedThread { get; set; }

    public long Count { get; set; }

    public long FirstNo { get; set; }

    public long? FirstNs { get; set; }

    public List<long> Records { get; set; } = [];
}

public sealed class ReportFinding
{
    public string Rule { get; set; } = "";

    public string Title { get; set; } = "";

    public string Description { get; set; } = "";

    public string Severity { get; set; } = "";

    public List<ReportTechnique> Attack { get; set; } = [];

    public List<ReportEvidence> Evidence { get; set; } = [];

    /// <summary>Every record number that proves the finding (sorted, capped at 64).</summary>
    public List<long> Records { get; set; } = [];
}

public sealed class ReportTechnique
{
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public List<string> Tactics { get; set; } = [];

    public string Url { get; set; } = "";
}

public sealed class ReportEvidence
{
    public string Kind { get; set; } = "";

    public string Object { get; set; } = "";

    public int ProcessSeq { get; set; }

    public int? TargetSeq { get; set; }

    public List<long> Records { get; set; } = [];
}

public sealed class ReportBaseline
{
    public List<string> Files { get; set; } = [];

    public long Removed { get; set; }
}

public sealed class ReportTimelineEntry
{
    public long No { get; set; }

    public long? Ns { get; set; }

    public int ProcessSeq { get; set; }

    public string Kind { get; set; } = "";

    public string Text { get; set; } = "";
}
