namespace Alkanet.Introspection.Cpu;

/// <summary>x86 code bytes hooks recognise.</summary>
public static class X86Code
{
    /// <summary>The 5-byte NOP (<c>nopl 0x0(%rax,%rax,1)</c>) the Linux kernel patches its ftrace call sites to: a hook
    /// can step over it by advancing RIP instead of single-stepping.</summary>
    public static ReadOnlySpan<byte> Nop5 => [0x0f, 0x1f, 0x44, 0x00, 0x00];
}
