using Alkanet.Introspection.Cpu;
using Alkanet.Introspection.Memory;
using Alkanet.Introspection.Symbols;

namespace Alkanet.Introspection.Windows;

/// <summary>Finds the KPCR (and through it the IDT) from GS_BASE / KERNEL_GS_BASE alone, before the kernel's own
/// symbol table is known. The two _KPCR offsets come from an ISF of the profile store: _KPCR.Self (0x18) and
/// _KPCR.IdtBase (0x38) are the same in every x64 Windows 10 ISF (the KPCR's head is an architectural layout the
/// kernel has kept since Vista), so any ISF serves until the running kernel's own is found.</summary>
public sealed class KpcrLocator
{
    public KpcrLocator(uint selfOffset, uint idtBaseOffset)
    {
        SelfOffset = selfOffset;
        IdtBaseOffset = idtBaseOffset;
    }

    public uint SelfOffset { get; }
    public uint IdtBaseOffset { get; }

    /// <summary>The offsets from the first ISF of the store that has both fields (user profiles first, then the embedded one).</summary>
    public static KpcrLocator FromStore(ProfileStore store)
    {
        foreach (var entry in store.List())
        {
            IsfFile isf;
            try { isf = store.Load(entry); }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or System.Text.Json.JsonException or
                UnauthorizedAccessException)
            {
                continue; // a broken user profile must not stop discovery: another ISF gives the same two offsets
            }
            if (isf.TryGetField("_KPCR", "Self", out var self) && isf.TryGetField("_KPCR", "IdtBase", out var idt))
                return new KpcrLocator(self.Offset, idt.Offset);
        }
        throw new InvalidDataException($"no symbol table in the profile store ({store.UserFolder} and the embedded ones) has _KPCR.Self and " +
            $"_KPCR.IdtBase");
    }

    /// <summary>The KPCR: whichever of GS_BASE and KERNEL_GS_BASE is a kernel address whose KPCR.Self points at itself
    /// (in kernel mode after SWAPGS it is GS_BASE; at the syscall entry instruction, KERNEL_GS_BASE). Returns the
    /// reason when neither is.</summary>
    public bool TryFind(in VcpuState registers, IVirtualMemory memory, out ulong kpcr, out ulong idtBase, out string? error)
    {
        kpcr = idtBase = 0;
        var gs = registers.GsBase;
        var kgs = registers.KernelGsBase;
        foreach (var candidate in new[] { gs, kgs })
        {
            if (!GuestReader.IsKernelAddress(candidate)) continue;
            if (!memory.TryReadU64(candidate + SelfOffset, out var self) || self != candidate) continue;
            if (!memory.TryReadU64(candidate + IdtBaseOffset, out var idt) || !GuestReader.IsKernelAddress(idt))
            {
                error = $"KPCR at {candidate:x} has no kernel IDT base (KPCR.IdtBase unreadable or {idt:x})";
                return false;
            }
            kpcr = candidate;
            idtBase = idt;
            error = null;
            return true;
        }
        error = $"no KPCR yet: neither GS_BASE {gs:x} nor KERNEL_GS_BASE {kgs:x} is a kernel address whose KPCR.Self points at itself";
        return false;
    }
}
