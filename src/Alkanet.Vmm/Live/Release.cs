namespace Alkanet.Vmm.Live;

/// <summary>Runs an action on dispose (a <c>using var</c> declared after another is disposed before it).</summary>
internal sealed class Release(Action action) : IDisposable
{
    public void Dispose() => action();
}
