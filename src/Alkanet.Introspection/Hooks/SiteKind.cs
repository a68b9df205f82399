namespace Alkanet.Introspection.Hooks;

/// <summary>Which side of a system call a hook site is on; the one enum every hook and OS uses.</summary>
public enum SiteKind
{
    /// <summary>A call is entering (Linux x64_sys_call; Windows KiSystemCall64 or KiSystemServiceUser).</summary>
    Enter,

    /// <summary>A 32-bit call is entering (Linux ia32_sys_call: int 0x80 and compat calls).</summary>
    Enter32,

    /// <summary>The call returns (Linux syscall_exit_to_user_mode_prepare; Windows the return from the service routine).</summary>
    Exit,
}
