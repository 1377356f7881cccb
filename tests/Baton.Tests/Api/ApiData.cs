using Baton.Numerics;

namespace Baton.Tests.Api;

/// <summary>Small generated problems for the public API's tests, each with a known answer.</summary>
internal static class ApiData
{
    /// <summary>
    /// One-feature sequences of 4..12 steps: class 0 rises (x_t = 0.2t + noise), class 1 falls, class 2 alternates in sign.
    /// Chance accuracy is 1/3.
    /// </summary>
    public static (float[][][] Sequences, int[] Labels) Shapes(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var sequences = new float[count][][];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int label = rng.NextInt(3);
            int length = 4 + rng.NextInt(9);
            float offset = rng.Uniform(-1, 1);
            sequences[i] = new float[length][];
            for (int t = 0; t < length; t++)
            {
                float value = label switch
                {
                    0 => offset + 0.2f * t,
                    1 => offset - 0.2f * t,
                    _ => (t % 2 == 0 ? 1 : -1) * (0.6f + 0.2f * offset),
                };
                sequences[i][t] = [value + rng.Uniform(-0.1f, 0.1f)];
            }
            labels[i] = label;
        }
        return (sequences, labels);
    }

    /// <summary>Two-feature sequences of 3..10 steps; targets [mean of feature 0, last value of feature 1].</summary>
    public static (float[][][] Sequences, float[][] Targets) Summaries(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var sequences = new float[count][][];
        var targets = new float[count][];
        for (int i = 0; i < count; i++)
        {
            int length = 3 + rng.NextInt(8);
            sequences[i] = new float[length][];
            double sum = 0;
            for (int t = 0; t < length; t++)
            {
                sequences[i][t] = [rng.Uniform(-1, 1), rng.Uniform(-1, 1)];
                sum += sequences[i][t][0];
            }
            targets[i] = [(float)(sum / length) * 10 + 50, sequences[i][^1][1] * 10 + 50];
        }
        return (sequences, targets);
    }

    /// <summary>One-feature sequences of 5..15 steps of ±1 with a label at every step: 1 when the running sum so far is positive.</summary>
    public static (float[][][] Sequences, int[][] Labels) RunningSign(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var sequences = new float[count][][];
        var labels = new int[count][];
        for (int i = 0; i < count; i++)
        {
            int length = 5 + rng.NextInt(11);
            sequences[i] = new float[length][];
            labels[i] = new int[length];
            int sum = 0;
            for (int t = 0; t < length; t++)
            {
                int x = rng.NextInt(2) == 0 ? -1 : 1;
                sum += x;
                sequences[i][t] = [x];
                labels[i][t] = sum > 0 ? 1 : 0;
            }
        }
        return (sequences, labels);
    }

    /// <summary>One-feature sequences of 4..12 steps with a target at every step: the previous step's input (0 at t = 0).</summary>
    public static (float[][][] Sequences, float[][][] Targets) Delay(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var sequences = new float[count][][];
        var targets = new float[count][][];
        for (int i = 0; i < count; i++)
        {
            int length = 4 + rng.NextInt(9);
            sequences[i] = new float[length][];
            targets[i] = new float[length][];
            for (int t = 0; t < length; t++)
            {
                sequences[i][t] = [rng.Uniform(-1, 1)];
                targets[i][t] = [t == 0 ? 0f : sequences[i][t - 1][0]];
            }
        }
        return (sequences, targets);
    }

    /// <summary>A sine of period 24 steps with small noise, n values.</summary>
    public static float[] Sine(int n, ulong seed)
    {
        var rng = new Rng(seed);
        return [.. Enumerable.Range(0, n).Select(t => MathF.Sin(2 * MathF.PI * t / 24) + rng.Uniform(-0.05f, 0.05f))];
    }

    /// <summary>Random labels (nothing to learn): a fit memorises them and its validation loss rises.</summary>
    public static (float[][][] Sequences, int[] Labels) Noise(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var sequences = new float[count][][];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            sequences[i] = [.. Enumerable.Range(0, 6).Select(_ => new[] { rng.Uniform(-1, 1), rng.Uniform(-1, 1) })];
            labels[i] = rng.NextInt(2);
        }
        return (sequences, labels);
    }
}
