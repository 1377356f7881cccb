using System.Globalization;
using Baton.Numerics;

namespace Baton.Data;

/// <summary>
/// Synthetic series with known structure, deterministic from a seed, for demos and tests.
/// Values are rounded to four decimals so that a frame written as CSV reads back identical.
/// </summary>
internal static class TimeSeriesGenerator
{
    /// <summary>Rows of <see cref="Energy"/> by default: 20 weeks of hourly readings.</summary>
    public const int EnergyRows = 20 * 7 * 24;

    /// <summary>Rows of <see cref="Sensor"/> by default: 60 hours of readings once a minute.</summary>
    public const int SensorRows = 60 * 60;

    /// <summary>
    /// The built-in default data set: hourly electricity-like <c>load</c> driven by <c>temperature</c>.
    /// <list type="bullet">
    /// <item>temperature = 12 + 5 sin(2 pi (t - 9) / 24) + weather, weather an AR(1) process (phi 0.997) + noise;</item>
    /// <item>load = 100 + 0.004 t (trend) + a daily shape (24 h, two harmonics) + a weekly shape (168 h, quieter
    /// weekends) + 1.5 |temperature(t-2) - 16| (heating and cooling, two hours late) + AR(1) noise (phi 0.5, sd 1.5);</item>
    /// <item>a regime change at 55 % of the rows: the level rises by 12 and the daily swing grows by 40 %.</item>
    /// </list>
    /// Columns: time (ISO 8601, from 2024-01-01T00:00:00), temperature, load.
    /// </summary>
    public static TimeSeriesFrame Energy(ulong seed = 1, int rows = EnergyRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 3, nameof(rows));
        var rng = new Rng(seed);
        var temperature = new double[rows];
        var load = new double[rows];
        var times = new string[rows];
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        int regime = (int)(0.55 * rows);
        double weather = 0;
        double noise = 0;
        for (int t = 0; t < rows; t++)
        {
            weather = 0.997 * weather + 0.25 * rng.NextNormal();
            temperature[t] = 12 + 5 * Math.Sin(2 * Math.PI * (t - 9) / 24) + weather + 0.3 * rng.NextNormal();
        }
        for (int t = 0; t < rows; t++)
        {
            double hour = t % 24;
            int day = t / 24 % 7;
            double swing = t >= regime ? 1.4 : 1.0;
            double daily = swing * (10 * Math.Sin(2 * Math.PI * (hour - 8) / 24) + 4 * Math.Sin(4 * Math.PI * (hour - 5) / 24));
            double weekly = day >= 5 ? -8 : 2 * Math.Sin(2 * Math.PI * day / 5);
            double level = 100 + 0.004 * t + (t >= regime ? 12 : 0);
            double heat = 1.5 * Math.Abs(temperature[Math.Max(0, t - 2)] - 16);
            noise = 0.5 * noise + 1.5 * rng.NextNormal();
            load[t] = level + daily + weekly + heat + noise;
            times[t] = start.AddHours(t).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
        }
        return new TimeSeriesFrame(["temperature", "load"], [Round(temperature), Round(load)], times, "time");
    }

    /// <summary>
    /// The second series: a <c>vibration</c> sensor on a damped oscillator (natural period 15 samples,
    /// damping ratio 0.06) forced by a pump whose <c>pressure</c> cycles every 45 samples, with random
    /// knocks (probability 0.02 per sample) that ring down over tens of samples, slow drift of the pump's
    /// strength, a regime change at 60 % of the rows (stiffer mount: natural period 11) and sensor noise.
    /// Columns: time (ISO 8601, one per minute from 2025-03-01T00:00:00), pressure, vibration.
    /// </summary>
    public static TimeSeriesFrame Sensor(ulong seed = 2, int rows = SensorRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 3, nameof(rows));
        const int SubSteps = 20;
        const double Zeta = 0.06;
        var rng = new Rng(seed);
        var pressure = new double[rows];
        var vibration = new double[rows];
        var times = new string[rows];
        var start = new DateTime(2025, 3, 1, 0, 0, 0, DateTimeKind.Utc);
        int regime = (int)(0.6 * rows);
        double x = 0, v = 0, strength = 1;
        for (int t = 0; t < rows; t++)
        {
            strength = Math.Clamp(strength + 0.01 * rng.NextNormal(), 0.5, 1.5);
            double cycle = Math.Sin(2 * Math.PI * t / 45);
            double force = strength * (cycle + 0.4 * Math.Sin(4 * Math.PI * t / 45 + 1));
            double omega = 2 * Math.PI / (t >= regime ? 11 : 15);
            if (rng.NextDouble() < 0.02)
                v += 0.5 * rng.NextNormal();
            double dt = 1.0 / SubSteps;
            for (int s = 0; s < SubSteps; s++)
            {
                double a = 0.3 * force - 2 * Zeta * omega * v - omega * omega * x;
                v += a * dt;
                x += v * dt;
            }
            pressure[t] = 3 + force + 0.05 * rng.NextNormal();
            vibration[t] = 40 + 10 * x + 0.1 * rng.NextNormal();
            times[t] = start.AddMinutes(t).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
        }
        return new TimeSeriesFrame(["pressure", "vibration"], [Round(pressure), Round(vibration)], times, "time");
    }

    private static double[] Round(double[] values)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = Math.Round(values[i], 4);
        return values;
    }
}
