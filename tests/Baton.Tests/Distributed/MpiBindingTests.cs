using System.Globalization;

namespace Baton.Tests.Distributed;

/// <summary>The P/Invoke binding to Open MPI, exercised by real mpirun jobs of 2 and 4 ranks on this machine.</summary>
[Collection(MpiCollection.Name)]
public sealed class MpiBindingTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Allreduce_sums_and_broadcast_copies_rank_0_on_every_rank(int ranks)
    {
        var job = MpiJobs.Run(MpiJobs.Part(ranks, MpiJobs.TestDll, "mpi-probe"));
        Assert.True(job.ExitCode == 0, $"mpirun exited {job.ExitCode}: {job.Stderr}");
        var lines = job.Stdout.Split('\n').Where(l => l.Contains("probe ", StringComparison.Ordinal))
            .Select(l => l[l.IndexOf("probe ", StringComparison.Ordinal)..].Trim().Split(' ')).ToArray();
        Assert.Equal(Enumerable.Range(0, ranks), lines.Select(l => int.Parse(l[1], CultureInfo.InvariantCulture)).Order());
        // Sum over ranks of (r + 1) = N(N + 1)/2; the doubles are not exact in binary, so they get a sum-order tolerance.
        const double DoubleTolerance = 1e-14;
        foreach (var line in lines)
        {
            Assert.Equal(ranks, int.Parse(line[2], CultureInfo.InvariantCulture));
            foreach (string field in line.Skip(3))
            {
                string[] v = field.Split(':');
                int i = int.Parse(v[0], CultureInfo.InvariantCulture);
                float expectedFloat = Enumerable.Range(0, ranks).Sum(r => MpiProbe.FloatValue(r, i));
                double expectedDouble = Enumerable.Range(0, ranks).Sum(r => MpiProbe.DoubleValue(r, i));
                Assert.Equal(expectedFloat, float.Parse(v[1], CultureInfo.InvariantCulture));
                Assert.Equal(expectedDouble, double.Parse(v[2], CultureInfo.InvariantCulture), DoubleTolerance);
                Assert.Equal(MpiProbe.BroadcastValue(i), float.Parse(v[3], CultureInfo.InvariantCulture));
            }
        }
    }
}
