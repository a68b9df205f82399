namespace Alkanet.Vmm.Gdb;

/// <summary>A hook decoder that can say what it found when it attached (kernel, build, table, sites) and what it had
/// to guess; <c>alkanet trace</c> prints both on standard error before tracing.</summary>
public interface IDescribedHookDecoder : IHookDecoder
{
    /// <summary>What discovery found, one line each.</summary>
    IReadOnlyList<string> Notes { get; }

    /// <summary>What discovery guessed or could not check, one line each.</summary>
    IReadOnlyList<string> Warnings { get; }
}
