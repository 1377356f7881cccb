using System.Globalization;

namespace Baton.Data;

/// <summary>
/// The regular spacing of a time column: a number of calendar months (monthly, quarterly, yearly data), a
/// fixed duration (hours, days, weeks), or a fixed step of a numeric time column.
/// </summary>
/// <param name="Months">Months per row (dates a whole number of months apart), else 0.</param>
/// <param name="Ticks">Duration per row in <see cref="TimeSpan"/> ticks (dates), else 0.</param>
/// <param name="Number">Step of a numeric time column, else 0.</param>
internal readonly record struct TimeSeriesStep(int Months, long Ticks, double Number)
{
    /// <summary>How many steps lie from <paramref name="previous"/> to <paramref name="next"/>, or -1 when not a whole number.</summary>
    public long StepsBetween(double previous, double next)
    {
        if (Months > 0)
        {
            var a = new DateTime((long)previous, DateTimeKind.Utc);
            var b = new DateTime((long)next, DateTimeKind.Utc);
            int months = (b.Year - a.Year) * 12 + b.Month - a.Month;
            if (a.AddMonths(months) != b || months % Months != 0)
                return -1;
            return months / Months;
        }
        double size = Ticks > 0 ? Ticks : Number;
        double ratio = (next - previous) / size;
        long whole = (long)Math.Round(ratio);
        return Math.Abs(ratio - whole) <= 1e-6 * Math.Max(1, ratio) ? whole : -1;
    }

    /// <summary>The time <paramref name="steps"/> steps after <paramref name="key"/> (a sort key as <see cref="TimeSeriesFrame.TimeKey"/> returns).</summary>
    public double Advance(double key, long steps) =>
        Months > 0 ? new DateTime((long)key, DateTimeKind.Utc).AddMonths((int)(steps * Months)).Ticks
        : Ticks > 0 ? key + steps * (double)Ticks
        : key + steps * Number;

    /// <summary>
    /// Seasons the calendar implies: 24 and 168 for hourly rows, 48 and 336 half-hourly, 96 and 672 quarter-hourly,
    /// 60 and 1440 by the minute, 7 (and 365) daily, 52 weekly, 12 monthly, 4 quarterly; none otherwise.
    /// </summary>
    public int[] CalendarSeasons()
    {
        if (Months == 1)
            return [12];
        if (Months == 3)
            return [4];
        if (Ticks <= 0)
            return [];
        var step = TimeSpan.FromTicks(Ticks);
        if (step == TimeSpan.FromMinutes(1))
            return [60, 1440];
        if (step == TimeSpan.FromMinutes(15))
            return [96, 672];
        if (step == TimeSpan.FromMinutes(30))
            return [48, 336];
        if (step == TimeSpan.FromHours(1))
            return [24, 168];
        if (step == TimeSpan.FromDays(1))
            return [7, 365];
        if (step == TimeSpan.FromDays(7))
            return [52];
        return [];
    }

    /// <summary>Words for the step: "1 month", "1 hour", "30 minutes", "step 0.5".</summary>
    public override string ToString()
    {
        if (Months > 0)
            return Months == 1 ? "1 month" : $"{Months} months";
        if (Ticks > 0)
        {
            var step = TimeSpan.FromTicks(Ticks);
            if (step.TotalDays >= 1 && step.TotalDays == Math.Floor(step.TotalDays))
                return step.TotalDays == 1 ? "1 day" : $"{step.TotalDays} days";
            if (step.TotalHours >= 1 && step.TotalHours == Math.Floor(step.TotalHours))
                return step.TotalHours == 1 ? "1 hour" : $"{step.TotalHours} hours";
            if (step.TotalMinutes >= 1 && step.TotalMinutes == Math.Floor(step.TotalMinutes))
                return step.TotalMinutes == 1 ? "1 minute" : $"{step.TotalMinutes} minutes";
            return $"{step.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s";
        }
        return $"step {Number.ToString("R", CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// The spacing of sorted time keys: whole months when every date falls on the same day of the month and time
    /// (the smallest month difference), else the smallest difference between neighbours. Null with fewer than two rows.
    /// </summary>
    public static TimeSeriesStep? Infer(ReadOnlySpan<double> keys, bool numeric)
    {
        if (keys.Length < 2)
            return null;
        double smallest = double.PositiveInfinity;
        for (int r = 1; r < keys.Length; r++)
            smallest = Math.Min(smallest, keys[r] - keys[r - 1]);
        if (numeric)
            return new TimeSeriesStep(0, 0, smallest);
        var first = new DateTime((long)keys[0], DateTimeKind.Utc);
        bool monthly = true;
        int fewestMonths = int.MaxValue;
        for (int r = 1; r < keys.Length && monthly; r++)
        {
            var a = new DateTime((long)keys[r - 1], DateTimeKind.Utc);
            var b = new DateTime((long)keys[r], DateTimeKind.Utc);
            int months = (b.Year - a.Year) * 12 + b.Month - a.Month;
            monthly = b.Day == first.Day && b.TimeOfDay == first.TimeOfDay && months > 0 && a.AddMonths(months) == b;
            fewestMonths = Math.Min(fewestMonths, months);
        }
        if (monthly && first.Day <= 28)
            return new TimeSeriesStep(fewestMonths, 0, 0);
        return new TimeSeriesStep(0, (long)smallest, 0);
    }
}
