namespace Baton.Data;

/// <summary>
/// A chronological train / validation / test split of rows <c>[0, Length)</c>: train is
/// <c>[0, TrainEnd)</c>, validation <c>[TrainEnd, ValidationEnd)</c>, test <c>[ValidationEnd, Length)</c>.
/// A forecast made at origin <c>t</c> (after row <c>t</c> is observed) covers rows <c>t+1 .. t+K</c>;
/// a part's origins are those whose K target rows all lie inside that part, so no target crosses a boundary.
/// </summary>
internal readonly record struct TimeSeriesSplit(int TrainEnd, int ValidationEnd, int Length)
{
    /// <summary>Share of the rows held out for validation.</summary>
    public const double ValidationFraction = 0.15;

    /// <summary>Share of the rows held out for the test.</summary>
    public const double TestFraction = 0.15;

    /// <summary>
    /// Splits <paramref name="length"/> rows 70 / 15 / 15 in time order, or, when <paramref name="testRows"/> &gt; 0,
    /// holds out the last <paramref name="testRows"/> rows for the test and 15 % before them for validation. The
    /// validation and test parts get at least <paramref name="horizon"/> rows each and the training part at least
    /// <paramref name="window"/> + <paramref name="horizon"/>; fewer rows is a <see cref="TimeSeriesDataException"/>.
    /// </summary>
    public static TimeSeriesSplit Chronological(int length, int window, int horizon, int testRows = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1, nameof(window));
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1, nameof(horizon));
        ArgumentOutOfRangeException.ThrowIfNegative(testRows, nameof(testRows));
        if (testRows > 0)
        {
            if (testRows < horizon)
                throw new TimeSeriesDataException($"--test {testRows} holds fewer rows than the horizon {horizon}.");
            int validation = HoldoutRows(length, horizon);
            int trainEnd = length - testRows - validation;
            if (trainEnd < window + horizon)
            {
                throw new TimeSeriesDataException(
                    $"the data has {length} rows: after a test part of {testRows} and a validation part of {validation}, " +
                    $"{Math.Max(0, trainEnd)} are left to train on; window {window} + horizon {horizon} need {window + horizon}.");
            }
            return new TimeSeriesSplit(trainEnd, length - testRows, length);
        }
        int needed = MinimumRows(window, horizon);
        if (length < needed)
        {
            throw new TimeSeriesDataException(
                $"the data has {length} rows, too few for window {window} + horizon {horizon}: at least {needed} are needed " +
                $"(window + horizon to train on, then horizon each for validation and test).");
        }
        int holdout = HoldoutRows(length, horizon);
        return new TimeSeriesSplit(length - 2 * holdout, length - holdout, length);
    }

    /// <summary>The fewest rows that <see cref="Chronological"/> accepts for this window and horizon.</summary>
    public static int MinimumRows(int window, int horizon)
    {
        int n = window + 3 * horizon;
        while (n - 2 * HoldoutRows(n, horizon) < window + horizon)
            n++;
        return n;
    }

    private static int HoldoutRows(int length, int horizon) =>
        Math.Max(horizon, (int)Math.Round(length * TestFraction, MidpointRounding.AwayFromZero));

    /// <summary>First training origin: the model has seen a full window by then.</summary>
    public static int FirstOrigin(int window) => window - 1;

    /// <summary>Forecast origins whose targets lie in the training part: <c>[window-1, TrainEnd-1-horizon]</c>.</summary>
    public (int Start, int End) TrainOrigins(int window, int horizon) => (window - 1, TrainEnd - horizon);

    /// <summary>Forecast origins whose targets lie in the validation part: <c>[TrainEnd-1, ValidationEnd-1-horizon]</c>.</summary>
    public (int Start, int End) ValidationOrigins(int horizon) => (TrainEnd - 1, ValidationEnd - horizon);

    /// <summary>Forecast origins whose targets lie in the test part: <c>[ValidationEnd-1, Length-1-horizon]</c>.</summary>
    public (int Start, int End) TestOrigins(int horizon) => (ValidationEnd - 1, Length - horizon);
}
