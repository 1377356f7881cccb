using Baton.Numerics;

namespace Baton.Tests.Numerics;

public class ContentionBackoffTests
{
    private static int SoloRuns(ContentionBackoff backoff)
    {
        int runs = 0;
        while (backoff.RunSolo())
            runs++;
        return runs;
    }

    [Fact]
    public void A_quiet_run_keeps_teams_and_a_contended_one_sends_the_next_runs_to_one_thread()
    {
        var backoff = new ContentionBackoff();
        Assert.False(backoff.RunSolo());
        backoff.Record(contended: false);
        Assert.Equal(0, SoloRuns(backoff));
        backoff.Record(contended: true);
        Assert.Equal(ContentionBackoff.FirstBackoff, SoloRuns(backoff));
    }

    [Fact]
    public void Each_contended_try_doubles_the_stretch_up_to_the_cap_and_a_quiet_try_resets_it()
    {
        var backoff = new ContentionBackoff();
        int expected = ContentionBackoff.FirstBackoff;
        for (int i = 0; i < 12; i++)
        {
            backoff.Record(contended: true);
            Assert.Equal(expected, SoloRuns(backoff));
            expected = Math.Min(2 * expected, ContentionBackoff.MaxBackoff);
        }
        Assert.Equal(ContentionBackoff.MaxBackoff, expected);
        backoff.Record(contended: false);
        Assert.Equal(0, SoloRuns(backoff));
        backoff.Record(contended: true);
        Assert.Equal(ContentionBackoff.FirstBackoff, SoloRuns(backoff));
    }

    [Fact]
    public void Reset_forgets_a_contended_record()
    {
        var backoff = new ContentionBackoff();
        backoff.Record(contended: true);
        backoff.Record(contended: true);
        backoff.Reset();
        Assert.Equal(0, SoloRuns(backoff));
        backoff.Record(contended: true);
        Assert.Equal(ContentionBackoff.FirstBackoff, SoloRuns(backoff));
    }
}
