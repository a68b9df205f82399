namespace Alkanet.Analysis.Model;

/// <summary>How a process's parent was learned.</summary>
public enum ParentSource
{
    /// <summary>No parent known.</summary>
    Unknown,

    /// <summary>From a process-creation call seen in the log (the strongest evidence).</summary>
    Creation,

    /// <summary>From the <c>proc_ppid</c> field of the process's own records (creation not seen).</summary>
    ProcPpid,

    /// <summary>From an importer's process list (CAPE, DRAKVUF procmon).</summary>
    Importer,
}

/// <summary>One process lifetime. A reused pid is a new node with a new <see cref="Seq"/>.</summary>
public sealed class ProcessNode
{
    public required int Seq { get; init; }

    public required ulong Pid { get; init; }

    public string Name { get; set; } = "";

    public string? Image { get; set; }

    public string? CommandLine { get; set; }

    public int? ParentSeq { get; set; }

    public ulong? ParentPid { get; set; }

    public ParentSource ParentSource { get; set; }

    /// <summary>The thread of the parent that created it (for attribution through injected threads).</summary>
    public ulong? CreatorTid { get; set; }

    /// <summary>Record number of the creation call, when seen.</summary>
    public long? CreatedNo { get; set; }

    public long FirstNo { get; set; } = -1;

    public long LastNo { get; set; } = -1;

    public long? ExitNo { get; set; }

    public long? StartNs { get; set; }

    public long? ExitNs { get; set; }

    /// <summary>Calls made by the process (one per ENTER/EXIT pair).</summary>
    public long Calls { get; set; }

    /// <summary>The tracer's <c>proc_seq</c>, when the log carries it.</summary>
    public long? TracerSeq { get; set; }

    public bool Exited { get; set; }

    /// <summary>The creator asked for it to start suspended (a hollowing precondition).</summary>
    public bool CreatedSuspended { get; set; }

    public HashSet<ulong> Threads { get; } = [];

    public override string ToString() => $"#{Seq} {Name} pid {Pid:x}";
}
