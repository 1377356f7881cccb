using Baton.Layers;
using Baton.Numerics;

namespace Baton.Tests.Layers;

/// <summary>Steady-state training and streaming steps allocate nothing on the calling thread.</summary>
public sealed class RecurrentAllocationTests
{
    public static TheoryData<CellKind, int> Cells() => new()
    {
        { CellKind.Rnn, 0 }, { CellKind.Gru, 0 }, { CellKind.Lstm, 0 }, { CellKind.Lstm, 8 },
    };

    [Theory]
    [MemberData(nameof(Cells))]
    public void Training_steps_allocate_nothing_once_warm(CellKind cell, int proj)
    {
        var p = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(cell, 24, 32, 2, Bidirectional: true, ProjSize: proj, Dropout: 0.2f), p);
        p.Freeze();
        stack.ResetParameters(new Rng(1));
        int T = 12, B = 5;
        int[] lengths = [12, 4, 9, 12, 1];
        var x = new float[T * B * 24];
        var ws = stack.CreateWorkspace(T, B);
        var y = new float[T * B * stack.OutputSize];
        var dx = new float[x.Length];
        var rng = new Rng(3);
        void Step()
        {
            stack.Forward(ws, x, T, B, lengths, [], [], y, [], [], training: true, rng: rng);
            stack.Backward(ws, y, [], [], dx, [], []);
        }
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++)
            Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Streaming_steps_allocate_nothing_once_warm(CellKind cell, int proj)
    {
        var p = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(cell, 16, 32, 2, ProjSize: proj), p);
        p.Freeze();
        stack.ResetParameters(new Rng(4));
        var state = stack.CreateStreamState(3);
        var x = new float[3 * 16];
        var y = new float[3 * stack.OutputSize];
        stack.Step(state, x, y);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
            stack.Step(state, x, y);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
