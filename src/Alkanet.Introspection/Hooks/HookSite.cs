namespace Alkanet.Introspection.Hooks;

/// <summary>A guest-virtual code address a hook stops at (runtime address, KASLR applied), its side of the call, and
/// its name for messages (e.g. <c>x64_sys_call</c>, <c>KiSystemServiceCopyEnd+0x3</c>).</summary>
public readonly record struct HookSite(ulong Address, SiteKind Kind, string Name);
