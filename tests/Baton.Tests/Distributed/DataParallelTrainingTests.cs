using Baton.IO;
using Baton.Training;
using Baton.Tests.Cli;

namespace Baton.Tests.Distributed;

/// <summary>
/// `baton train` under mpirun on this machine: the same seed and global batch on 1, 2 and 4 ranks give the single-process
/// run's losses and weights; a failing rank ends the job and leaves the last good checkpoint to resume from.
/// </summary>
[Collection(MpiCollection.Name)]
public sealed class DataParallelTrainingTests(DataParallelTrainingTests.Runs runs) : IClassFixture<DataParallelTrainingTests.Runs>
{
    /// <summary>The 50-step runs both tests read: one process in-process, then mpirun with 1, 2 and 4 ranks, in one folder.</summary>
    public sealed class Runs
    {
        public Runs()
        {
            Dir = CliRunner.TempDir();
            Corpus = WriteCorpus(Dir);
            Single = CliRunner.Run(TrainArgs(Dir, Corpus, "single", 50));
            foreach (int ranks in new[] { 1, 2, 4 })
                Jobs[ranks] = MpiJobs.Run(MpiJobs.Part(ranks, MpiJobs.CliDll, TrainArgs(Dir, Corpus, $"np{ranks}", 50)));
        }

        public string Dir { get; }

        public string Corpus { get; }

        public CliRunner.Result Single { get; }

        public Dictionary<int, MpiJobs.Outcome> Jobs { get; } = [];
    }

    // Each rank's shard sums its rows' weight gradients in float32 before the float64 allreduce, so N > 1 differs from
    // one process only by the float32 rounding of those partial sums (measured ≤ 3e-7 after 50 Adam steps).
    private const double RelativeTolerance = 1e-6;

    private static string[] TrainArgs(string dir, string corpus, string outDir, int steps, params string[] extra) =>
    [
        "--threads", "1", "--json", "train", "--data", corpus, "--hidden", "16", "--layers", "1", "--embedding", "8",
        "--batch", "8", "--seq-length", "16", "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--seed", "3", "--out", Path.Combine(dir, outDir), .. extra,
    ];

    private static string WriteCorpus(string dir)
    {
        string[] words = ["alpha", "beta", "gamma", "delta", "river", "stone", "cloud", "light", "echo", "north"];
        var rng = new Baton.Numerics.Rng(11);
        string path = Path.Combine(dir, "corpus.txt");
        File.WriteAllText(path, string.Join(' ', Enumerable.Range(0, 4000).Select(_ => words[rng.NextInt(words.Length)])));
        return path;
    }

    private static double[] Losses(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "history.csv")).Skip(1)
            .Select(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static Dictionary<string, float[]> Tensors(string runDir)
    {
        var file = SafeTensorsFile.Read(Path.Combine(runDir, "last.safetensors"));
        return file.Tensors.Where(t => t.DType == SafeTensorDType.F32).ToDictionary(t => t.Name, t => file.ReadFloat32(t.Name));
    }

    private static double RelativeL2(float[] expected, float[] actual)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff += Math.Pow(expected[i] - (double)actual[i], 2);
            norm += Math.Pow(expected[i], 2);
        }
        return norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
    }

    [Fact]
    public void Training_on_1_2_and_4_ranks_matches_the_single_process_run_after_50_steps()
    {
        string dir = runs.Dir;
        var single = runs.Single;
        Assert.True(single.ExitCode == 0, single.Stderr);
        var expectedLosses = Losses(Path.Combine(dir, "single"));
        var expectedTensors = Tensors(Path.Combine(dir, "single"));
        Assert.Equal(50, expectedLosses.Length);
        double expectedValidation = single.Json["val_loss"]!.GetValue<double>();

        foreach (int ranks in new[] { 1, 2, 4 })
        {
            string name = $"np{ranks}";
            var job = runs.Jobs[ranks];
            Assert.True(job.ExitCode == 0, $"{name}: {job.Stderr}");
            Assert.Single(job.Stdout.Split('\n'), l => l.Contains("\"steps\"", StringComparison.Ordinal));
            Assert.Equal(ranks, job.Json["ranks"]!.GetValue<int>());
            var losses = Losses(Path.Combine(dir, name));
            var tensors = Tensors(Path.Combine(dir, name));
            Assert.Equal(expectedTensors.Keys.Order(), tensors.Keys.Order());
            if (ranks == 1)
            {
                // One rank: g·n/n is exact in float64, so the run is bit-identical to one without MPI.
                Assert.Equal(expectedLosses, losses);
                foreach (var (key, value) in expectedTensors)
                    Assert.True(value.AsSpan().SequenceEqual(tensors[key]), $"{name}: {key} differs from the single-process run");
                continue;
            }
            for (int s = 0; s < expectedLosses.Length; s++)
                Assert.True(Math.Abs(losses[s] - expectedLosses[s]) <= RelativeTolerance * Math.Abs(expectedLosses[s]),
                    $"{name}: step {s + 1} loss {losses[s]:R} vs {expectedLosses[s]:R}");
            foreach (var (key, value) in expectedTensors)
            {
                double relative = RelativeL2(value, tensors[key]);
                Assert.True(relative <= RelativeTolerance, $"{name}: {key} differs by {relative:E2} (relative L2)");
            }
            double validation = job.Json["val_loss"]!.GetValue<double>();
            Assert.True(Math.Abs(validation - expectedValidation) <= RelativeTolerance * expectedValidation, $"{name}: val_loss {validation} vs {expectedValidation}");
        }
    }

    [Fact]
    public void A_failing_rank_ends_the_job_and_resume_continues_from_the_last_good_checkpoint()
    {
        string dir = runs.Dir, corpus = runs.Corpus;
        Assert.True(runs.Jobs[2].ExitCode == 0, runs.Jobs[2].Stderr);
        var first = MpiJobs.Run(MpiJobs.Part(2, MpiJobs.CliDll, TrainArgs(dir, corpus, "part", 20)));
        Assert.True(first.ExitCode == 0, first.Stderr);
        string checkpoint = Path.Combine(dir, "part", "last.safetensors");
        byte[] good = File.ReadAllBytes(checkpoint);

        // Rank 1 is given a data file that does not exist; rank 0 is waiting in its first collective call.
        string missing = Path.Combine(dir, "missing.txt");
        var failed = MpiJobs.Run(
            MpiJobs.Part(1, MpiJobs.CliDll, TrainArgs(dir, corpus, "part", 50, "--resume", checkpoint)),
            MpiJobs.Part(1, MpiJobs.CliDll, TrainArgs(dir, missing, "part", 50, "--resume", checkpoint)));
        Assert.NotEqual(0, failed.ExitCode);
        var rankLines = failed.Stderr.Split('\n').Where(l => l.StartsWith("baton: rank ", StringComparison.Ordinal)).ToArray();
        string line = Assert.Single(rankLines);
        Assert.StartsWith("baton: rank 1 of 2: ", line);
        Assert.Contains("missing.txt", line, StringComparison.Ordinal);
        Assert.Equal(good, File.ReadAllBytes(checkpoint));
        Assert.Equal(20, Checkpoint.Load(checkpoint).State.Step);

        var resumed = MpiJobs.Run(MpiJobs.Part(2, MpiJobs.CliDll, TrainArgs(dir, corpus, "part", 50, "--resume", checkpoint)));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(Losses(Path.Combine(dir, "np2")), Losses(Path.Combine(dir, "part")));
        var expected = Tensors(Path.Combine(dir, "np2"));
        var actual = Tensors(Path.Combine(dir, "part"));
        foreach (var (key, value) in expected)
            Assert.True(value.AsSpan().SequenceEqual(actual[key]), $"{key}: the resumed run differs from the uninterrupted one");
    }
}
