namespace Alkanet.Analysis.Model;

/// <summary>One connect/sendto of a process (or a Windows AFD connect), kept apart from the behaviour items (which merge
/// every call to the same address) so the report can join each captured flow to the call that opened it by its 5-tuple
/// and time (docs/NETWORK.md). <see cref="LocalPort"/> 0: the record did not say (a Windows AFD connect, an older log);
/// <see cref="Proto"/> null: the socket's type was not seen.</summary>
public sealed record SocketUse(int ProcessSeq, string Remote, int LocalPort, string? Proto, long? Ns, long No, long ExitNo)
{
    public IEnumerable<long> Records => ExitNo >= 0 && ExitNo != No ? [No, ExitNo] : [No];
}
