using Baton.Models;
using Baton.Numerics;
using Baton.Tests.IO;

namespace Baton.Tests.Layers;

/// <summary>docs/concurrency.md's contract: one model, many streams, each stepped by its own thread.</summary>
public class ConcurrencyContractTests
{
    [Fact]
    public void Eight_threads_streaming_their_own_streams_from_one_model_match_the_streams_run_one_after_another()
    {
        const int Streams = 8, T = 64;
        var model = new SequenceModel(ModelFileTests.SmallLm() with { Hidden = 32, Layers = 2 });
        model.ResetParameters(new Rng(11));
        var tokens = Enumerable.Range(0, Streams).Select(s =>
        {
            var rng = new Rng(100 + (ulong)s);
            return Enumerable.Range(0, T).Select(_ => rng.NextInt(model.Config.OutputSize)).ToArray();
        }).ToArray();

        float[] Run(int s, Barrier? start)
        {
            var stream = model.CreateStream();
            start?.SignalAndWait();
            var logits = new float[T * model.Config.OutputSize];
            for (int t = 0; t < T; t++)
                model.Step(stream, tokens[s].AsSpan(t, 1)).CopyTo(logits.AsSpan(t * model.Config.OutputSize));
            return logits;
        }

        var serial = Enumerable.Range(0, Streams).Select(s => Run(s, null)).ToArray();
        var concurrent = new float[Streams][];
        using var start = new Barrier(Streams);
        var threads = Enumerable.Range(0, Streams).Select(s => new Thread(() => concurrent[s] = Run(s, start))).ToArray();
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "a streaming thread never finished");
        for (int s = 0; s < Streams; s++)
            Assert.Equal(serial[s], concurrent[s]);
    }
}
