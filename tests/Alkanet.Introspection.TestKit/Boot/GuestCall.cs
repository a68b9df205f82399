namespace Alkanet.Introspection.TestKit.Boot;

/// <summary>One system call the bootable guest's sample program makes: its number and argument values (as the ENTER
/// hook reads them), the status the synthetic service returns, the handle it hands out (null when none), and the
/// additional-info fields a decoder must produce at ENTER and EXIT (a subset: keys not listed are not checked).</summary>
public sealed record GuestCall(string Name, uint Number, IReadOnlyList<ulong> Args, uint Status)
{
    /// <summary>The handle written to the out pointer (argument 0) at EXIT, if the call makes one.</summary>
    public ulong? OutHandle { get; init; }

    /// <summary>Calls that never return (the guest powers off inside NtTerminateProcess): no EXIT record.</summary>
    public bool Returns { get; init; } = true;

    public IReadOnlyDictionary<string, string> Enter { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Exit { get; init; } = new Dictionary<string, string>();

    public override string ToString() => $"{Name} (0x{Number:x})";
}
