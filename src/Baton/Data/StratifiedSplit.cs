using Baton.Numerics;

namespace Baton.Data;

/// <summary>
/// A train / validation / test split of whole sequences (never of rows), stratified by label: the sequences of each
/// class are shuffled with <c>Rng(seed + class)</c> and cut so that each part holds about its fraction of every class.
/// A class of n ≥ 2 sequences gives the test part max(1, round(n·test)); of n ≥ 3, the validation part max(1, round(n·validation));
/// the rest (at least one) trains. Indices in each part are ascending.
/// </summary>
internal sealed record StratifiedSplit(int[] Train, int[] Validation, int[] Test)
{
    /// <summary>Splits sequences with <paramref name="labels"/> (class ids in [0, <paramref name="classes"/>)).</summary>
    public static StratifiedSplit Create(IReadOnlyList<int> labels, int classes, ulong seed, double validation = 0.15, double test = 0.15)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1, nameof(classes));
        if (!(validation >= 0 && test >= 0 && validation + test < 1))
            throw new ArgumentOutOfRangeException(nameof(validation), $"validation {validation} + test {test} must be in [0, 1).");
        var train = new List<int>();
        var valid = new List<int>();
        var hold = new List<int>();
        for (int c = 0; c < classes; c++)
        {
            int[] members = [.. Enumerable.Range(0, labels.Count).Where(i => labels[i] == c)];
            var rng = new Rng(seed + (ulong)c);
            for (int i = members.Length - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (members[i], members[j]) = (members[j], members[i]);
            }
            int n = members.Length;
            int nTest = n >= 2 && test > 0 ? Math.Max(1, (int)Math.Round(n * test)) : 0;
            int nValidation = n >= 3 && validation > 0 ? Math.Max(1, (int)Math.Round(n * validation)) : 0;
            if (n > 0 && nTest + nValidation >= n)
                (nTest, nValidation) = (Math.Min(nTest, n - 1), Math.Max(0, Math.Min(nValidation, n - 1 - Math.Min(nTest, n - 1))));
            hold.AddRange(members.Take(nTest));
            valid.AddRange(members.Skip(nTest).Take(nValidation));
            train.AddRange(members.Skip(nTest + nValidation));
        }
        train.Sort();
        valid.Sort();
        hold.Sort();
        return new StratifiedSplit([.. train], [.. valid], [.. hold]);
    }
}
