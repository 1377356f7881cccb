namespace Baton.Numerics;

/// <summary>Work whose parts run at the same time on distinct threads and meet at a barrier (see <see cref="WorkerPool.RunTeam"/>).</summary>
internal interface ITeamWork
{
    /// <summary>Runs part <paramref name="index"/> of <paramref name="count"/>; every part calls
    /// <paramref name="barrier"/>.SignalAndWait() the same number of times.</summary>
    void Execute(int index, int count, SpinBarrier barrier);
}
