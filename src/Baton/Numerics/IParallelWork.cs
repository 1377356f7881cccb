namespace Baton.Numerics;

/// <summary>A unit of work split into <c>count</c> independent parts, run by <see cref="WorkerPool"/>.</summary>
internal interface IParallelWork
{
    /// <summary>Runs part <paramref name="index"/> of <paramref name="count"/>.</summary>
    void Execute(int index, int count);
}
