namespace Alkanet.Introspection.Windows;

/// <summary>Which side of a system call a hook hit is on.</summary>
public enum HookSiteKind
{
    /// <summary>The call is entering: number in RAX, arguments in R10, RDX, R8, R9 and on the user stack.</summary>
    Enter,

    /// <summary>The service routine returned: RAX holds the NTSTATUS.</summary>
    Exit,
}

/// <summary>The guest-virtual addresses where live hooks should stop, from the kernel base and its symbols.</summary>
/// <param name="Enter">Where to hook ENTER: the LSTAR target (KiSystemCall64) without KVA shadow; with KVA shadow,
/// KiSystemServiceUser, reached after the shadow entry has switched to the kernel CR3 (registers still hold the
/// arguments; the user stack pointer is then read from KPCR.UserRsp).</param>
/// <param name="Exit">Where to hook EXIT: the instruction after the service call (<c>call r10</c>/<c>call rax</c>
/// following KiSystemServiceCopyEnd) when found, else KiSystemServiceExit.</param>
public sealed record WindowsHookSites(
    ulong Enter,
    ulong Exit,
    bool ExitIsReturnSite,
    bool KvaShadow,
    ulong Lstar,
    ulong KiSystemCall64,
    ulong KiSystemCall64Shadow,
    ulong KiSystemServiceUser,
    ulong KiSystemServiceExit,
    ulong KeServiceDescriptorTable)
{
    public HookSiteKind? KindOf(ulong rip) => rip == Enter ? HookSiteKind.Enter : rip == Exit ? HookSiteKind.Exit : null;
}
