namespace Alkanet.Introspection.Hooks;

/// <summary>What one attempt to find the kernel and its hook sites gave: the sites (found), or why not (a value, never
/// an exception: guest data is hostile and early boot has no kernel yet). <see cref="Final"/> says another vCPU or a
/// later attempt cannot help (the kernel was identified but does not fit, e.g. a profile of another build).
/// <see cref="Notes"/> and <see cref="Warnings"/> are what discovery found and what it had to guess, one line each.</summary>
public sealed record KernelDiscovery
{
    private KernelDiscovery(IReadOnlyList<HookSite> sites, string? error, bool final)
    {
        Sites = sites;
        Error = error;
        Final = final;
    }

    public bool Found => Error is null;

    /// <summary>The runtime sites to hook (empty when not found).</summary>
    public IReadOnlyList<HookSite> Sites { get; }

    /// <summary>Why the kernel or its sites were not found; null when found.</summary>
    public string? Error { get; }

    public bool Final { get; }

    public IReadOnlyList<string> Notes { get; init; } = [];

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Linux: the KASLR slide (runtime minus link-time address), when this OS has one.</summary>
    public ulong? Slide { get; init; }

    /// <summary>Windows: the kernel image base, when this OS reports one.</summary>
    public ulong? KernelBase { get; init; }

    public static KernelDiscovery Success(IReadOnlyList<HookSite> sites) => new(sites, null, false);

    public static KernelDiscovery Failure(string why, bool final = false) => new([], why, final);
}
