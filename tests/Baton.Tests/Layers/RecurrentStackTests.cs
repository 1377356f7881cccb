using Baton.Layers;
using Baton.Numerics;
using Baton.Training;

namespace Baton.Tests.Layers;

/// <summary>Behaviour of RecurrentStack beyond parity: threads, streaming, truncation, dropout, batch-first, bad input.</summary>
public sealed class RecurrentStackTests
{
    private const double TruncationTolerance = 1e-6;
    /// <summary>Float32's usual bar: sums of up to 1000 products rounded in two different groupings (and without FMA on
    /// older hardware, 1.3e-6 measured there; 1e-6 is met with FMA).</summary>
    private const double WideInputStreamTolerance = 1e-5;
    private const double DropoutGradientTolerance = 3e-3;

    private static RecurrentStack NewStack(RecurrentOptions o, ulong seed, out Parameters p)
    {
        p = new Parameters();
        var stack = new RecurrentStack(o, p);
        p.Freeze();
        stack.ResetParameters(new Rng(seed));
        return stack;
    }

    private static float[] Random(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++)
            a[i] = (float)rng.NextNormal();
        return a;
    }

    // The cells are internal types, so the theory data is typed object (xUnit needs a public data member).
    public static IEnumerable<object[]> Cells() =>
    [
        [CellKind.Rnn, 0], [CellKind.Gru, 0], [CellKind.Lstm, 0], [CellKind.Lstm, 24],
    ];

    [Theory]
    [MemberData(nameof(Cells))]
    internal void One_and_two_threads_give_bit_identical_outputs_and_gradients(CellKind cell, int proj) =>
        AssertThreadCountsAgree(new RecurrentOptions(cell, 40, 48, 2, Bidirectional: true, ProjSize: proj), 2, 0);

    /// <summary>H = 130 spans three 64-wide panels (the last one partial), so each time step is split by units between threads.</summary>
    [Theory]
    [InlineData(CellKind.Rnn, 0, 2)]
    [InlineData(CellKind.Gru, 0, 3)]
    [InlineData(CellKind.Lstm, 0, 2)]
    [InlineData(CellKind.Lstm, 0, 3)]
    [InlineData(CellKind.Lstm, 24, 2)]
    internal void Steps_split_by_units_over_threads_match_one_thread(CellKind cell, int proj, int threads)
    {
        AssertThreadCountsAgree(new RecurrentOptions(cell, 20, 130, 1, Bidirectional: true, ProjSize: proj), threads, 0);
        AssertThreadCountsAgree(new RecurrentOptions(cell, 20, 130, 1, Bidirectional: true, ProjSize: proj), threads, 4);
    }

    /// <summary>
    /// A unit-split run whose partners keep losing their cores dissolves: part 0 finishes every unit alone. Forced here at
    /// a given barrier phase (forward steps are one phase each, two with a projection; backward steps one), the results
    /// still match one thread bit for bit.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Rnn, 0, 1)]
    [InlineData(CellKind.Gru, 0, 3)]
    [InlineData(CellKind.Lstm, 0, 5)]
    [InlineData(CellKind.Lstm, 24, 2)]
    [InlineData(CellKind.Lstm, 24, 7)]
    internal void A_unit_split_that_dissolves_mid_run_matches_one_thread(CellKind cell, int proj, int phase)
    {
        int saved = SpinBarrier.ForceDissolveAtPhase;
        try
        {
            SpinBarrier.ForceDissolveAtPhase = phase;
            // One direction: its team runs on the calling thread (two directions may run side by side, each on one thread).
            // Two parts, and no earlier contended run sending the teams to one thread: so the runs do dissolve, unless
            // the machine's own load keeps them on one thread, where the results must agree just the same.
            Action asTeam = WorkerPool.Shared.Contention.Reset;
            AssertThreadCountsAgree(new RecurrentOptions(cell, 20, 130, 1, ProjSize: proj), 2, 0, beforeEachPass: asTeam);
            AssertThreadCountsAgree(new RecurrentOptions(cell, 20, 130, 2, ProjSize: proj), 2, 4, beforeEachPass: asTeam);
        }
        finally
        {
            SpinBarrier.ForceDissolveAtPhase = saved;
        }
    }

    /// <summary>H = 40 fits one panel, so with 13 sequences every cell splits whole sequences (batch rows) between threads.</summary>
    [Theory]
    [InlineData(CellKind.Lstm, 0, 2, 0)]
    [InlineData(CellKind.Lstm, 0, 3, 4)]
    [InlineData(CellKind.Lstm, 16, 2, 4)]
    [InlineData(CellKind.Gru, 0, 2, 0)]
    [InlineData(CellKind.Gru, 0, 3, 4)]
    [InlineData(CellKind.Rnn, 0, 2, 4)]
    [InlineData(CellKind.Rnn, 0, 3, 0)]
    internal void Sequences_split_by_rows_over_threads_match_one_thread(CellKind cell, int proj, int threads, int truncateBefore) =>
        AssertThreadCountsAgree(new RecurrentOptions(cell, 12, 40, 2, Bidirectional: true, ProjSize: proj), threads,
            truncateBefore, [9, 3, 7, 9, 1, 5, 2, 8, 9, 4, 6, 9, 3]);

    private static void AssertThreadCountsAgree(RecurrentOptions o, int threads, int truncateBefore, int[]? sequenceLengths = null,
        Action? beforeEachPass = null)
    {
        int[] lengths = sequenceLengths ?? [9, 3, 7, 9, 1, 5];
        int T = 9, B = lengths.Length;
        var x = Random(T * B * o.InputSize, 1);
        (float[] Y, float[] Grad, float[] Dx) Run(int threads)
        {
            int saved = Threads.Count;
            try
            {
                Threads.Count = threads;
                var stack = NewStack(o, 2, out var p);
                var ws = stack.CreateWorkspace(T, B);
                var y = new float[T * B * stack.OutputSize];
                // Non-zero initial states: the backward reads h_{t−1} and c_{t−1} of each sequence's first step from them.
                int states = o.Layers * stack.Directions * B;
                var h0 = Random(states * stack.StateSize, 3);
                var c0 = stack.HasCellState ? Random(states * o.HiddenSize, 4) : [];
                beforeEachPass?.Invoke();
                stack.Forward(ws, x, T, B, lengths, h0, c0, y, [], []);
                var dx = new float[x.Length];
                beforeEachPass?.Invoke();
                stack.Backward(ws, y, [], [], dx, [], [], truncateBefore);
                return (y, p.Grad.ToArray(), dx);
            }
            finally
            {
                Threads.Count = saved;
            }
        }
        var one = Run(1);
        var two = Run(threads);
        Assert.Equal(one.Y, two.Y);
        Assert.Equal(one.Grad, two.Grad);
        Assert.Equal(one.Dx, two.Dx);
    }

    /// <summary>
    /// A step computes every element as Forward does (x·W_ihᵀ, the bias, then h·W_hhᵀ on the same packed panels, the same
    /// cell kernels), so streaming reproduces the whole-sequence forward bit for bit. Inputs up to the GEMM's 384-deep
    /// K slice; H = 130 leaves a partial panel and 300 inputs an odd K.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Rnn, 7, 32, 0)]
    [InlineData(CellKind.Gru, 7, 32, 0)]
    [InlineData(CellKind.Lstm, 7, 32, 0)]
    [InlineData(CellKind.Lstm, 7, 32, 24)]
    [InlineData(CellKind.Rnn, 300, 130, 0)]
    [InlineData(CellKind.Gru, 300, 130, 0)]
    [InlineData(CellKind.Lstm, 300, 130, 0)]
    [InlineData(CellKind.Lstm, 128, 128, 0)]
    internal void Streaming_steps_are_bit_identical_to_the_full_sequence_forward(CellKind cell, int inputSize, int hidden, int proj)
    {
        var run = ForwardAndStream(new RecurrentOptions(cell, inputSize, hidden, 2, ProjSize: proj), 41);
        for (int t = 0; t < run.Y.Length; t++)
            Assert.Equal(run.Y[t], run.Streamed[t]);
        Assert.Equal(run.Hn, run.State.H.ToArray());
        Assert.Equal(run.Cn, run.State.C.ToArray());
        run.State.Reset();
        Assert.All(run.State.H.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(run.State.C.ToArray(), v => Assert.Equal(0f, v));
    }

    /// <summary>
    /// Inputs wider than one 384-deep K slice: Forward's input GEMM rounds into its output after each slice, the step's
    /// packed product once at the end, so the two agree to float32 rounding rather than bit for bit.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Lstm, 512, 64)]
    [InlineData(CellKind.Gru, 1000, 40)]
    internal void Streaming_steps_with_inputs_wider_than_a_gemm_slice_match_the_forward_to_rounding(CellKind cell, int inputSize, int hidden)
    {
        var run = ForwardAndStream(new RecurrentOptions(cell, inputSize, hidden, 2), 45);
        for (int t = 0; t < run.Y.Length; t++)
            Compare.Close($"y[{t}]", run.Streamed[t], run.Y[t], WideInputStreamTolerance);
    }

    /// <summary>
    /// Forward over T = 5 steps of B = 3 sequences from random h0 / c0, and the same input streamed step by step from a
    /// state holding them: Forward's y and the streamed y per step, Forward's hn / cn, and the state after the last step.
    /// </summary>
    private static (float[][] Y, float[][] Streamed, float[] Hn, float[] Cn, StreamState State) ForwardAndStream(RecurrentOptions o, ulong seed)
    {
        int T = 5, B = 3;
        var stack = NewStack(o, seed, out _);
        var x = Random(T * B * o.InputSize, seed + 1);
        var h0 = Random(o.Layers * B * stack.StateSize, seed + 2);
        var c0 = stack.HasCellState ? Random(o.Layers * B * o.HiddenSize, seed + 3) : [];
        var y = new float[T * B * stack.OutputSize];
        var hn = new float[h0.Length];
        var cn = new float[c0.Length];
        stack.Forward(stack.CreateWorkspace(T, B), x, T, B, [], h0, c0, y, hn, cn);

        var state = stack.CreateStreamState(B);
        h0.CopyTo(state.H);
        c0.CopyTo(state.C);
        int width = B * stack.OutputSize;
        var forward = new float[T][];
        var streamed = new float[T][];
        for (int t = 0; t < T; t++)
        {
            forward[t] = y.AsSpan(t * width, width).ToArray();
            streamed[t] = new float[width];
            stack.Step(state, x.AsSpan(t * B * o.InputSize, B * o.InputSize), streamed[t]);
        }
        return (forward, streamed, hn, cn, state);
    }

    /// <summary>
    /// A state keeps its layers' weights packed; an optimizer step, a re-initialisation or a direct write followed by
    /// MarkChanged must reach a state made before it: its next step equals that of a new state from the same h and c.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Rnn, "optimizer")]
    [InlineData(CellKind.Gru, "optimizer")]
    [InlineData(CellKind.Lstm, "optimizer")]
    [InlineData(CellKind.Lstm, "reset")]
    [InlineData(CellKind.Gru, "write")]
    [InlineData(CellKind.Lstm, "write")]
    internal void A_stream_state_steps_with_the_weights_as_they_are_now(CellKind cell, string change)
    {
        var o = new RecurrentOptions(cell, 6, 16, 2, ProjSize: cell == CellKind.Lstm ? 8 : 0);
        int B = 2;
        var stack = NewStack(o, 51, out var p);
        var x = Random(B * o.InputSize, 52);
        var old = stack.CreateStreamState(B);
        var y = new float[B * stack.OutputSize];
        for (int t = 0; t < 3; t++)
            stack.Step(old, x, y);

        long version = p.Version;
        switch (change)
        {
            case "optimizer":
                Random(p.Count, 53).CopyTo(p.Grad, 0);
                new Sgd(p, new OptimizerOptions { Kind = "sgd", LearningRate = 0.1 }).Step();
                break;
            case "reset":
                stack.ResetParameters(new Rng(54));
                break;
            default:
                foreach (var tensor in p.Tensors)
                    p.Value(tensor)[0] += 0.25f;
                p.MarkChanged();
                break;
        }
        Assert.True(p.Version > version);

        var fresh = stack.CreateStreamState(B);
        old.H.CopyTo(fresh.H);
        old.C.CopyTo(fresh.C);
        var yOld = new float[y.Length];
        var yFresh = new float[y.Length];
        stack.Step(old, x, yOld);
        stack.Step(fresh, x, yFresh);
        Assert.Equal(yFresh, yOld);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    internal void Streaming_with_one_and_two_threads_is_bit_identical(CellKind cell, int proj)
    {
        var o = new RecurrentOptions(cell, 256, 256, 2, ProjSize: proj);
        var stack = NewStack(o, 34, out _);
        var x = Random(2 * o.InputSize, 35);
        float[] Run(int threads)
        {
            int saved = Threads.Count;
            try
            {
                Threads.Count = threads;
                var state = stack.CreateStreamState(2);
                var y = new float[2 * stack.OutputSize];
                for (int t = 0; t < 4; t++)
                    stack.Step(state, x, y);
                return y;
            }
            finally
            {
                Threads.Count = saved;
            }
        }
        Assert.Equal(Run(1), Run(2));
    }

    [Fact]
    public void Streaming_from_several_threads_on_one_stack_matches_single_threaded_streaming()
    {
        var o = new RecurrentOptions(CellKind.Lstm, 8, 16);
        var stack = NewStack(o, 7, out _);
        const int Streams = 4, T = 50;
        var inputs = Enumerable.Range(0, Streams).Select(s => Random(T * o.InputSize, 100 + (ulong)s)).ToArray();
        float[] RunStream(int s)
        {
            var state = stack.CreateStreamState(1);
            var y = new float[o.HiddenSize];
            for (int t = 0; t < T; t++)
                stack.Step(state, inputs[s].AsSpan(t * o.InputSize, o.InputSize), y);
            return y;
        }
        var serial = Enumerable.Range(0, Streams).Select(RunStream).ToArray();
        var parallel = new float[Streams][];
        System.Threading.Tasks.Parallel.For(0, Streams, s => parallel[s] = RunStream(s));
        for (int s = 0; s < Streams; s++)
            Assert.Equal(serial[s], parallel[s]);
    }

    /// <summary>
    /// Forward keeping the caller's x (read again by Backward) gives the same outputs, gradients and dx, bit for bit, as
    /// Forward with a packed copy: full batches (read in place; with one direction the last layer writes into the caller's
    /// y, which Backward reads, here also as dy) and variable lengths (copied all the same), one and two directions, the
    /// layers above reading the outputs below in place.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Rnn, false)]
    [InlineData(CellKind.Gru, false)]
    [InlineData(CellKind.Lstm, false)]
    [InlineData(CellKind.Lstm, true)]
    [InlineData(CellKind.MinGru, false)]
    [InlineData(CellKind.MinLstm, true)]
    internal void Forward_keeping_the_input_equals_forward_with_a_copy(CellKind cell, bool bidirectional)
    {
        var o = new RecurrentOptions(cell, 6, 10, 2, bidirectional);
        int T = 7, B = 4;
        var x = Random(T * B * o.InputSize, 5);
        foreach (int[] lengths in new[] { Array.Empty<int>(), [7, 3, 5, 7] })
        {
            (float[] Y, float[] Grad, float[] Dx) Run(bool keep)
            {
                var stack = NewStack(o, 2, out var p);
                var ws = stack.CreateWorkspace(T, B);
                var y = new float[T * B * stack.OutputSize];
                if (keep)
                {
                    stack.ForwardKeepingInput(ws, x, T, B, lengths, [], [], y, [], []);
                    Assert.Equal(lengths.Length == 0 && !bidirectional, !ws.KeptOutput.IsEmpty);
                }
                else
                    stack.Forward(ws, x, T, B, lengths, [], [], y, [], []);
                var dx = new float[x.Length];
                stack.Backward(ws, y, [], [], dx, [], []);
                return (y, p.Grad.ToArray(), dx);
            }
            var copied = Run(keep: false);
            var kept = Run(keep: true);
            Assert.Equal(copied.Y, kept.Y);
            Assert.Equal(copied.Grad, kept.Grad);
            Assert.Equal(copied.Dx, kept.Dx);
        }
    }

    [Theory]
    [InlineData(CellKind.Rnn)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.Lstm)]
    internal void Truncation_equals_two_runs_joined_by_a_constant_state(CellKind cell)
    {
        // Backward(truncateBefore = K) must equal: run steps 0..K-1 from h0, then steps K..T-1 from the resulting state
        // treated as a constant input, and add both runs' gradients.
        var o = new RecurrentOptions(cell, 3, 5, 2);
        int T = 7, B = 2, K = 3, I = o.InputSize;
        var stack = NewStack(o, 8, out var p);
        int st = o.Layers * B * stack.StateSize, ct = stack.HasCellState ? o.Layers * B * o.HiddenSize : 0;
        var x = Random(T * B * I, 9);
        var h0 = Random(st, 10);
        var c0 = ct > 0 ? Random(ct, 11) : [];
        var dy = Random(T * B * stack.OutputSize, 12);
        var dhn = Random(st, 13);
        var dcn = ct > 0 ? Random(ct, 14) : [];

        var ws = stack.CreateWorkspace(T, B);
        var y = new float[dy.Length];
        stack.Forward(ws, x, T, B, [], h0, c0, y, new float[st], new float[ct]);
        p.ZeroGrad();
        var dx = new float[x.Length];
        var dh0 = new float[st];
        var dc0 = new float[ct];
        stack.Backward(ws, dy, dhn, dcn, dx, dh0, dc0, truncateBefore: K);
        var truncated = p.Grad.ToArray();

        int headRows = K * B, tailRows = (T - K) * B, O = stack.OutputSize;
        var hMid = new float[st];
        var cMid = new float[ct];
        var yHead = new float[headRows * O];
        var yTail = new float[tailRows * O];
        p.ZeroGrad();
        var wsHead = stack.CreateWorkspace(K, B);
        stack.Forward(wsHead, x.AsSpan(0, headRows * I), K, B, [], h0, c0, yHead, hMid, cMid);
        var wsTail = stack.CreateWorkspace(T - K, B);
        stack.Forward(wsTail, x.AsSpan(headRows * I), T - K, B, [], hMid, cMid, yTail, new float[st], new float[ct]);
        var dxTail = new float[tailRows * I];
        stack.Backward(wsTail, dy.AsSpan(headRows * O), dhn, dcn, dxTail, new float[st], new float[ct]);
        var dxHead = new float[headRows * I];
        var dh0Head = new float[st];
        var dc0Head = new float[ct];
        stack.Backward(wsHead, dy.AsSpan(0, headRows * O), [], [], dxHead, dh0Head, dc0Head);

        Compare.Close("y", y, [.. yHead, .. yTail], TruncationTolerance);
        Compare.Close("weights", truncated, p.Grad, TruncationTolerance);
        Compare.Close("dx", dx, [.. dxHead, .. dxTail], TruncationTolerance);
        Compare.Close("dh0", dh0, dh0Head, TruncationTolerance);
        Compare.Close("dc0", dc0, dc0Head, TruncationTolerance);
    }

    [Fact]
    public void Outputs_past_each_length_are_zero_and_padding_gets_no_gradient()
    {
        var o = new RecurrentOptions(CellKind.Gru, 3, 4, 2, Bidirectional: true);
        int T = 5, B = 3;
        int[] lengths = [2, 5, 3];
        var stack = NewStack(o, 15, out _);
        var x = Random(T * B * 3, 16);
        var ws = stack.CreateWorkspace(T, B);
        var y = new float[T * B * stack.OutputSize];
        stack.Forward(ws, x, T, B, lengths, [], [], y, [], []);
        var dx = new float[x.Length];
        stack.Backward(ws, Random(y.Length, 17), [], [], dx, [], []);
        for (int t = 0; t < T; t++)
        {
            for (int b = 0; b < B; b++)
            {
                bool padded = t >= lengths[b];
                var yRow = y.AsSpan((t * B + b) * stack.OutputSize, stack.OutputSize).ToArray();
                var dxRow = dx.AsSpan((t * B + b) * 3, 3).ToArray();
                Assert.Equal(padded, yRow.All(v => v == 0f));
                Assert.Equal(padded, dxRow.All(v => v == 0f));
            }
        }
    }

    [Fact]
    public void Changing_padded_inputs_changes_nothing()
    {
        var o = new RecurrentOptions(CellKind.Lstm, 3, 4, 1, Bidirectional: true);
        int T = 4, B = 2;
        int[] lengths = [4, 2];
        var stack = NewStack(o, 18, out _);
        var x = Random(T * B * 3, 19);
        var ws = stack.CreateWorkspace(T, B);
        var y1 = new float[T * B * stack.OutputSize];
        var hn1 = new float[2 * B * 4];
        stack.Forward(ws, x, T, B, lengths, [], [], y1, hn1, []);
        for (int t = 2; t < T; t++)
            x.AsSpan((t * B + 1) * 3, 3).Fill(1e6f);
        var y2 = new float[y1.Length];
        var hn2 = new float[hn1.Length];
        stack.Forward(ws, x, T, B, lengths, [], [], y2, hn2, []);
        Assert.Equal(y1, y2);
        Assert.Equal(hn1, hn2);
    }

    [Fact]
    public void Dropout_applies_only_while_training_and_its_gradient_matches_finite_differences()
    {
        var o = new RecurrentOptions(CellKind.Rnn, 3, 6, 3, Dropout: 0.4f);
        int T = 4, B = 2;
        var stack = NewStack(o, 20, out var p);
        var plain = NewStack(o with { Dropout = 0f }, 20, out _);
        var x = Random(T * B * 3, 21);
        var r = Random(T * B * 6, 22);
        var ws = stack.CreateWorkspace(T, B);
        var y = new float[T * B * 6];
        var yPlain = new float[y.Length];
        stack.Forward(ws, x, T, B, [], [], [], y, [], []);
        plain.Forward(plain.CreateWorkspace(T, B), x, T, B, [], [], [], yPlain, [], []);
        Assert.Equal(yPlain, y);

        double Loss()
        {
            stack.Forward(ws, x, T, B, [], [], [], y, [], [], training: true, rng: new Rng(23));
            double l = 0;
            for (int i = 0; i < y.Length; i++)
                l += (double)y[i] * r[i];
            return l;
        }
        Loss();
        Assert.NotEqual(yPlain, y);
        p.ZeroGrad();
        stack.Backward(ws, r, [], [], [], [], []);
        const float Step = 1e-2f;
        var fd = new double[p.Count];
        for (int i = 0; i < p.Count; i++)
        {
            float keep = p.Data[i];
            p.Data[i] = keep + Step;
            double plus = Loss();
            p.Data[i] = keep - Step;
            double minus = Loss();
            p.Data[i] = keep;
            fd[i] = (plus - minus) / (2 * Step);
        }
        Compare.Close("dropout gradients", p.Grad, fd, DropoutGradientTolerance);
    }

    [Fact]
    public void Batch_first_entry_points_equal_the_time_major_ones()
    {
        var o = new RecurrentOptions(CellKind.Lstm, 3, 4, 2, Bidirectional: true);
        int T = 5, B = 3, I = 3;
        var stack = NewStack(o, 24, out var p);
        int O = stack.OutputSize;
        var xTm = Random(T * B * I, 25);
        var dyTm = Random(T * B * O, 26);
        int[] lengths = [5, 2, 4];
        var ws = stack.CreateWorkspace(T, B);
        var yTm = new float[T * B * O];
        stack.Forward(ws, xTm, T, B, lengths, [], [], yTm, [], []);
        p.ZeroGrad();
        var dxTm = new float[xTm.Length];
        stack.Backward(ws, dyTm, [], [], dxTm, [], []);
        var gradTm = p.Grad.ToArray();

        var xBf = new float[xTm.Length];
        RecurrentStack.SwapLeadingAxes(xTm, T, B, I, xBf);
        var dyBf = new float[dyTm.Length];
        RecurrentStack.SwapLeadingAxes(dyTm, T, B, O, dyBf);
        var yBf = new float[yTm.Length];
        stack.ForwardBatchFirst(ws, xBf, T, B, lengths, [], [], yBf, [], []);
        p.ZeroGrad();
        var dxBf = new float[xTm.Length];
        stack.BackwardBatchFirst(ws, dyBf, [], [], dxBf, [], []);
        var back = new float[yTm.Length];
        RecurrentStack.SwapLeadingAxes(yBf, B, T, O, back);
        Assert.Equal(yTm, back);
        var dxBack = new float[dxTm.Length];
        RecurrentStack.SwapLeadingAxes(dxBf, B, T, I, dxBack);
        Assert.Equal(dxTm, dxBack);
        Assert.Equal(gradTm, p.Grad);
    }

    [Fact]
    public void A_workspace_grows_when_a_later_call_is_larger()
    {
        var o = new RecurrentOptions(CellKind.Gru, 2, 3);
        var stack = NewStack(o, 27, out _);
        var ws = stack.CreateWorkspace(2, 1);
        var x = Random(6 * 4 * 2, 28);
        var y = new float[6 * 4 * 3];
        stack.Forward(ws, x, 6, 4, [], [], [], y, [], []);
        var yFresh = new float[y.Length];
        stack.Forward(stack.CreateWorkspace(6, 4), x, 6, 4, [], [], [], yFresh, [], []);
        Assert.Equal(yFresh, y);
    }

    [Fact]
    public void NaN_in_the_input_propagates_to_that_sequence()
    {
        var o = new RecurrentOptions(CellKind.Lstm, 2, 3);
        var stack = NewStack(o, 29, out _);
        int T = 3, B = 2;
        var x = Random(T * B * 2, 30);
        x[(1 * B + 0) * 2] = float.NaN; // step 1, sequence 0
        var y = new float[T * B * 3];
        var hn = new float[B * 3];
        stack.Forward(stack.CreateWorkspace(T, B), x, T, B, [], [], [], y, hn, []);
        Assert.True(float.IsNaN(y[(1 * B + 0) * 3]));
        Assert.True(float.IsNaN(hn[0]));
        Assert.False(float.IsNaN(hn[3]));
    }

    [Fact]
    public void Bad_input_throws_argument_exceptions_naming_the_argument()
    {
        var o = new RecurrentOptions(CellKind.Lstm, 2, 3, 2);
        var stack = NewStack(o, 31, out _);
        int T = 3, B = 2;
        var ws = stack.CreateWorkspace(T, B);
        var x = new float[T * B * 2];
        var y = new float[T * B * 3];
        void Check(string name, Action call) => Assert.Equal(name, Assert.ThrowsAny<ArgumentException>(call).ParamName);
        Check("x", () => stack.Forward(ws, new float[T * B * 2 + 1], T, B, [], [], [], y, [], []));
        Check("lengths", () => stack.Forward(ws, x, T, B, [0, 3], [], [], y, [], []));
        Check("lengths", () => stack.Forward(ws, x, T, B, [4, 3], [], [], y, [], []));
        Check("lengths", () => stack.Forward(ws, x, T, B, [3], [], [], y, [], []));
        Check("B", () => stack.Forward(ws, [], T, 0, [], [], [], [], [], []));
        Check("T", () => stack.Forward(ws, [], 0, B, [], [], [], [], [], []));
        Check("h0", () => stack.Forward(ws, x, T, B, [], new float[2 * 1 * 3], [], y, [], []));
        Check("c0", () => stack.Forward(ws, x, T, B, [], [], new float[5], y, [], []));
        Check("hn", () => stack.Forward(ws, x, T, B, [], [], [], y, new float[1], []));
        Check("y", () => stack.Forward(ws, x, T, B, [], [], [], new float[1], [], []));
        stack.Forward(ws, x, T, B, [], [], [], y, [], []);
        Check("dy", () => stack.Backward(ws, new float[1], [], [], [], [], []));
        Check("dh0", () => stack.Backward(ws, y, [], [], [], new float[1], []));
        Check("dx", () => stack.Backward(ws, y, [], [], new float[1], [], []));
        Check("truncateBefore", () => stack.Backward(ws, y, [], [], [], [], [], truncateBefore: T + 1));
        var state = stack.CreateStreamState(B);
        Check("x", () => stack.Step(state, new float[3], new float[B * 3]));

        var gru = NewStack(new RecurrentOptions(CellKind.Gru, 2, 3), 32, out _);
        Check("c0", () => gru.Forward(gru.CreateWorkspace(T, B), x, T, B, [], [], new float[B * 3], y, [], []));
    }

    [Fact]
    public void Parameters_carry_pytorch_names_and_shapes_in_pytorch_order()
    {
        var p = new Parameters();
        _ = new RecurrentStack(new RecurrentOptions(CellKind.Lstm, 3, 5, 2, Bidirectional: true, ProjSize: 2), p);
        string[] expected =
        [
            "rnn.weight_ih_l0 20x3", "rnn.weight_hh_l0 20x2", "rnn.bias_ih_l0 20", "rnn.bias_hh_l0 20", "rnn.weight_hr_l0 2x5",
            "rnn.weight_ih_l0_reverse 20x3", "rnn.weight_hh_l0_reverse 20x2", "rnn.bias_ih_l0_reverse 20", "rnn.bias_hh_l0_reverse 20", "rnn.weight_hr_l0_reverse 2x5",
            "rnn.weight_ih_l1 20x4", "rnn.weight_hh_l1 20x2", "rnn.bias_ih_l1 20", "rnn.bias_hh_l1 20", "rnn.weight_hr_l1 2x5",
            "rnn.weight_ih_l1_reverse 20x4", "rnn.weight_hh_l1_reverse 20x2", "rnn.bias_ih_l1_reverse 20", "rnn.bias_hh_l1_reverse 20", "rnn.weight_hr_l1_reverse 2x5",
        ];
        Assert.Equal(expected, p.Tensors.Select(t => $"{t.Name} {string.Join('x', t.Shape)}"));
    }

    [Fact]
    public void Reset_parameters_draws_uniform_within_one_over_sqrt_hidden()
    {
        var stack = NewStack(new RecurrentOptions(CellKind.Gru, 3, 16), 33, out var p);
        float bound = 1f / MathF.Sqrt(16);
        Assert.All(p.Data, v => Assert.InRange(v, -bound, bound));
        Assert.True(p.Data.Max() > 0.9f * bound && p.Data.Min() < -0.9f * bound);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    internal void Each_forward_serves_one_backward(CellKind cell, int proj)
    {
        var stack = NewStack(new RecurrentOptions(cell, 6, 32, 1, ProjSize: proj), 3, out var p);
        int T = 4, B = 2;
        var ws = stack.CreateWorkspace(T, B);
        var x = Random(T * B * 6, 5);
        var y = new float[T * B * stack.OutputSize];
        Assert.Throws<InvalidOperationException>(() => stack.Backward(ws, y, [], [], [], [], []));
        stack.Forward(ws, x, T, B, [], [], [], y, [], []);
        stack.Backward(ws, y, [], [], [], [], []);
        var first = p.Grad.ToArray();
        var error = Assert.Throws<InvalidOperationException>(() => stack.Backward(ws, y, [], [], [], [], []));
        Assert.Contains("each Forward serves one Backward", error.Message);
        p.ZeroGrad();
        stack.Forward(ws, x, T, B, [], [], [], y, [], []);
        stack.Backward(ws, y, [], [], [], [], []);
        Assert.Equal(first, p.Grad.ToArray());
    }
}
