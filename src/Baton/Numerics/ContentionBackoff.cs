namespace Baton.Numerics;

/// <summary>
/// Decides when a team run (parts that meet at a barrier every time step) should run on one thread instead. A part
/// whose partner has lost its core to another process waits out the partner's time slice at every step, milliseconds
/// where the step's work takes microseconds; so after a team run that dissolved for it (<see cref="SpinBarrier.Dissolved"/>),
/// the next <see cref="FirstBackoff"/> team runs go on one thread, then one is tried as a team again, and each further
/// contended try doubles the stretch on one thread (up to <see cref="MaxBackoff"/> runs). A run on one thread computes
/// exactly what the team computes, so only the time changes. Not thread-safe: the pool calls it under its lock.
/// </summary>
internal sealed class ContentionBackoff
{
    /// <summary>Team runs on one thread after the first contended run.</summary>
    public const int FirstBackoff = 4;

    /// <summary>The longest stretch of team runs on one thread between two tries.</summary>
    public const int MaxBackoff = 1024;

    private int soloLeft;
    private int next = FirstBackoff;

    /// <summary>Forgets every record: team runs go on as teams until the next contended one.</summary>
    public void Reset() => (soloLeft, next) = (0, FirstBackoff);

    /// <summary>True while team runs should go on one thread; each call uses up one such run.</summary>
    public bool RunSolo()
    {
        if (soloLeft == 0)
            return false;
        soloLeft--;
        return true;
    }

    /// <summary>Records a team run: <paramref name="contended"/> when it dissolved (<see cref="SpinBarrier.Dissolved"/>).</summary>
    public void Record(bool contended)
    {
        if (contended)
        {
            soloLeft = next;
            next = Math.Min(2 * next, MaxBackoff);
        }
        else
        {
            next = FirstBackoff;
        }
    }
}
