using Alkanet.Introspection.Hooks;

namespace Alkanet.Introspection.Windows;

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
    public SiteKind? KindOf(ulong rip) => rip == Enter ? SiteKind.Enter : rip == Exit ? SiteKind.Exit : null;
}
