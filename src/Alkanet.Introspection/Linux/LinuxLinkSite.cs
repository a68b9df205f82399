using Alkanet.Introspection.Hooks;

namespace Alkanet.Introspection.Linux;

/// <summary>One hook site of a Linux profile: the function the hook attaches to, its link-time address (before the
/// KASLR slide), and the bytes that follow its 5-byte ftrace site, used to recognise it (and so the slide) at run time.
/// <list type="bullet">
/// <item><see cref="SiteKind.Enter"/>: x64_sys_call(regs, nr), the 64-bit entry (RDI = pt_regs, ESI = nr).</item>
/// <item><see cref="SiteKind.Enter32"/>: ia32_sys_call(regs, nr), int 0x80 / 32-bit entry.</item>
/// <item><see cref="SiteKind.Exit"/>: syscall_exit_to_user_mode_prepare(regs), every return to user mode after a call
/// (and ret_from_fork).</item>
/// </list></summary>
public sealed record LinuxLinkSite(SiteKind Kind, string Symbol, ulong LinkAddress, byte[] Fingerprint)
{
    /// <summary>The kind as a profile file names it (<c>Enter64</c>, <c>Enter32</c>, <c>Exit</c>: saved profiles keep these).</summary>
    public static string KindName(SiteKind kind) => kind switch
    {
        SiteKind.Enter => "Enter64",
        SiteKind.Enter32 => "Enter32",
        _ => "Exit",
    };

    public static SiteKind ParseKind(string name) => name switch
    {
        "Enter64" => SiteKind.Enter,
        "Enter32" => SiteKind.Enter32,
        "Exit" => SiteKind.Exit,
        _ => throw new FormatException($"unknown site kind '{name}' (Enter64, Enter32 or Exit)"),
    };

    /// <summary>The runtime site under <paramref name="slide"/>.</summary>
    public HookSite At(ulong slide) => new(LinkAddress + slide, Kind, Symbol);
}
