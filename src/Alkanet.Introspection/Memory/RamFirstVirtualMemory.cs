namespace Alkanet.Introspection.Memory;

/// <summary>
/// A live hook's view of the hitting vCPU's memory. Its page tables are walked here over guest RAM mapped into this
/// process (<see cref="IPhysicalMemory"/>: a read is a few loads), and what that cannot read (a page the walk does not
/// find, RAM outside the mapping) goes through the hook's own reader (QEMU's: 0.3–0.4 µs a call, docs/PERFORMANCE.md),
/// which then has the last word. Translations live for one hit only (<see cref="BeginHit"/>): between hits the guest
/// may rewrite its page tables (a freed kernel stack's pages given to something else) and nothing here sees its TLB
/// flushes. The page-table root is the vCPU's CR3, asked for at the first read of a hit (a hit that reads no memory
/// reads no CR3). A caller that knows a range cannot move (a task's pt_regs while it is inside a call) may pin it
/// (<see cref="TryPin"/>) and read it again in a later hit without a walk or a CR3. Not thread-safe: one per vCPU.
/// </summary>
public sealed class RamFirstVirtualMemory : IPinnableMemory
{
    private readonly PagedVirtualMemory _ram;
    private readonly IVirtualMemory _fallback;
    private readonly Func<ulong> _readCr3;
    private bool _rootKnown;

    /// <param name="ram">Guest-physical memory (the RAM file QEMU shares).</param>
    /// <param name="fallback">The hook's reader of the same vCPU's virtual memory.</param>
    /// <param name="readCr3">Reads the vCPU's CR3 now (called at most once a hit).</param>
    /// <param name="mode">The guest's paging mode (CR4.LA57).</param>
    public RamFirstVirtualMemory(IPhysicalMemory ram, IVirtualMemory fallback, Func<ulong> readCr3, PagingMode mode = PagingMode.FourLevel)
    {
        _ram = new PagedVirtualMemory(ram, 0, mode, new TranslationCache(64));
        _fallback = fallback;
        _readCr3 = readCr3;
    }

    /// <summary>Bytes read from the mapped RAM, and bytes the fallback was asked for (counters for tests and figures).</summary>
    public long DirectBytes { get; private set; }
    public long FallbackBytes { get; private set; }

    public PagingMode Mode { get => _ram.Mode; set => _ram.Mode = value; }

    /// <summary>The translations of the current hit (its misses are the page walks: figures).</summary>
    public TranslationCache Translations => _ram.Cache;

    /// <summary>A new hit: forget the last hit's translations; <paramref name="cr3"/> when the hook read it already, else 0
    /// (then it is read at the first memory read).</summary>
    public void BeginHit(ulong cr3 = 0)
    {
        _ram.Cache.Clear();
        _rootKnown = cr3 != 0;
        if (_rootKnown) _ram.SetCr3(cr3);
    }

    public bool TryPin(ulong virtualAddress, int length, out ulong physicalAddress)
    {
        physicalAddress = 0;
        if (!_rootKnown || _ram.Cr3 == 0) return false; // pins what this hit has walked already, never a CR3 read for it
        var t = _ram.Translate(virtualAddress);
        if (!t.Ok || t.BytesLeftInPage < (ulong)length) return false;
        physicalAddress = t.PhysicalAddress;
        return true;
    }

    public bool TryReadPinned(ulong physicalAddress, Span<byte> destination)
    {
        if (!_ram.Physical.TryRead(physicalAddress, destination)) return false;
        DirectBytes += destination.Length;
        return true;
    }

    public int Read(ulong virtualAddress, Span<byte> destination)
    {
        if (!_rootKnown)
        {
            var cr3 = _readCr3();
            _rootKnown = true;
            _ram.SetCr3(cr3);
        }
        var done = _ram.Cr3 == 0 ? 0 : _ram.Read(virtualAddress, destination);
        DirectBytes += done;
        if (done == destination.Length) return done;
        var rest = virtualAddress + (ulong)done;
        if (rest < virtualAddress) return done; // wrapped past the top of the address space
        FallbackBytes += destination.Length - done;
        return done + _fallback.Read(rest, destination[done..]);
    }
}
