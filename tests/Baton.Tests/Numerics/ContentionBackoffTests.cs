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
    public void A_quiet_record_keeps_teams_and_a_contended_one_sends_the_next_runs_to_one_thread()
    {
        var backoff = new ContentionBackoff();
        Assert.False(backoff.RunSolo());
        backoff.Record(phases: 512, longWaits: 64);            // one phase in eight: still a team
        Assert.Equal(0, SoloRuns(backoff));
        backoff.Record(phases: 512, longWaits: 65);
        Assert.Equal(ContentionBackoff.FirstBackoff, SoloRuns(backoff));
    }

    [Fact]
    public void Short_runs_need_more_than_two_long_waits()
    {
        var backoff = new ContentionBackoff();
        backoff.Record(phases: 4, longWaits: 2);               // a slow first wake-up, not contention
        Assert.Equal(0, SoloRuns(backoff));
        backoff.Record(phases: 4, longWaits: 3);
        Assert.Equal(ContentionBackoff.FirstBackoff, SoloRuns(backoff));
    }

    [Fact]
    public void Each_contended_try_doubles_the_stretch_up_to_the_cap_and_a_quiet_try_resets_it()
    {
        var backoff = new ContentionBackoff();
        int expected = ContentionBackoff.FirstBackoff;
        for (int i = 0; i < 12; i++)
        {
            backoff.Record(phases: 100, longWaits: 100);
            Assert.Equal(expected, SoloRuns(backoff));
            expected = Math.Min(2 * expected, ContentionBackoff.MaxBackoff);
        }
        Assert.Equal(ContentionBackoff.MaxBackoff, expected);
        backoff.Record(phases: 100, longWaits: 0);
        Assert.Equal(0, SoloRuns(backoff));
        backoff.Record(phases: 100, longWaits: 100);
        Assert.Equal(ContentionBackoff.FirstBackoff, SoloRuns(backoff));
    }
}
