namespace Baton.Data;

/// <summary>
/// The room of the built-in <c>motion</c> data ("where the cat lands"), seen from the side by a fixed camera: the floor
/// (height 0, everywhere), a sofa seat, a table and a shelf, each a horizontal segment [x0, x1] at height h (metres). The
/// camera maps metres to pixels as u = U0 + S·x, v = V0 − S·y. A jump lands on the first surface that its arc crosses
/// on the way down inside the surface's span (the highest one, since a falling arc meets the higher heights first), or on
/// the floor. The same rule classifies a fitted arc in <see cref="PhysicsLanding"/>.
/// </summary>
internal static class MotionScene
{
    /// <summary>One landing surface (metres).</summary>
    public sealed record Surface(string Name, double X0, double X1, double Height);

    /// <summary>Gravity, m/s².</summary>
    public const double Gravity = 9.81;

    /// <summary>Pixels per metre.</summary>
    public const double S = 120;

    /// <summary>Pixel column of x = 0.</summary>
    public const double U0 = 40;

    /// <summary>Pixel row of the floor (y = 0).</summary>
    public const double V0 = 420;

    /// <summary>The class names, by id: floor, sofa, table, shelf.</summary>
    public static readonly string[] Classes = ["floor", "sofa", "table", "shelf"];

    /// <summary>The raised surfaces, highest first (the floor, class 0, is everywhere else).</summary>
    public static readonly Surface[] Surfaces =
    [
        new("shelf", 3.9, 4.6, 1.6),
        new("table", 2.9, 3.7, 0.78),
        new("sofa", 1.6, 2.6, 0.45),
    ];

    /// <summary>Class id of a surface name.</summary>
    public static int ClassOf(string name) => Array.IndexOf(Classes, name);

    /// <summary>
    /// Where an arc y(t) = a·t² + b·t + c (a &lt; 0), x(t) = d·t + e lands (metres, seconds): the first surface, highest first,
    /// whose height the arc reaches falling (the later root of y(t) = h) at an x inside its span; 0 (floor) if none.
    /// Also returns the landing time (on the floor: the later root of y = 0).
    /// </summary>
    public static (int Label, double Time) Landing(double a, double b, double c, double d, double e)
    {
        if (!(a < 0))
            throw new ArgumentOutOfRangeException(nameof(a), $"an arc that comes down needs a < 0, got {a}.");
        foreach (var surface in Surfaces)
        {
            if (FallingRoot(a, b, c - surface.Height) is not double t)
                continue;
            double x = d * t + e;
            if (x >= surface.X0 && x <= surface.X1)
                return (ClassOf(surface.Name), t);
        }
        return (0, FallingRoot(a, b, c) ?? double.NaN);
    }

    // The later root of a·t² + b·t + c = 0 (a < 0): the time the arc passes the height on its way down; null if it never reaches it.
    private static double? FallingRoot(double a, double b, double c)
    {
        double disc = b * b - 4 * a * c;
        if (disc < 0)
            return null;
        return (-b - Math.Sqrt(disc)) / (2 * a);
    }

    /// <summary>
    /// The physics baseline: least-squares fits v(t) = p·t² + q·t + r and u(t) = m·t + n to the observed pixels, converted to
    /// metres with the camera and passed to <see cref="Landing"/>. An arc that does not curve downwards (too few or too noisy points)
    /// falls back to <see cref="LastPositionLanding"/>.
    /// </summary>
    public static int PhysicsLanding(ReadOnlySpan<double> time, ReadOnlySpan<double> u, ReadOnlySpan<double> v)
    {
        if (time.Length < 3 || !FitQuadratic(time, v, out double p, out double q, out double r) || !FitLine(time, u, out double m, out double n))
            return LastPositionLanding(u[^1], v[^1]);
        // y = (V0 − v) / S, x = (u − U0) / S.
        double a = -p / S, b = -q / S, c = (V0 - r) / S;
        if (!(a < 0))
            return LastPositionLanding(u[^1], v[^1]);
        return Landing(a, b, c, m / S, (n - U0) / S).Label;
    }

    /// <summary>
    /// The last-position baseline: the highest surface under the last observed position (a span containing its x at a height
    /// not above its y), else the floor, as if the cat dropped straight down from where it was last seen.
    /// </summary>
    public static int LastPositionLanding(double u, double v)
    {
        double x = (u - U0) / S, y = (V0 - v) / S;
        foreach (var surface in Surfaces)
        {
            if (x >= surface.X0 && x <= surface.X1 && y >= surface.Height)
                return ClassOf(surface.Name);
        }
        return 0;
    }

    /// <summary>Least squares y ≈ p·t² + q·t + r (false when the normal equations are singular).</summary>
    public static bool FitQuadratic(ReadOnlySpan<double> t, ReadOnlySpan<double> y, out double p, out double q, out double r)
    {
        // Centre t for conditioning, solve the 3×3 normal equations, then shift back.
        double mean = 0;
        foreach (double v in t)
            mean += v;
        mean /= t.Length;
        var m = new double[3, 4];
        for (int i = 0; i < t.Length; i++)
        {
            double s = t[i] - mean;
            double[] basis = [s * s, s, 1];
            for (int j = 0; j < 3; j++)
            {
                for (int k = 0; k < 3; k++)
                    m[j, k] += basis[j] * basis[k];
                m[j, 3] += basis[j] * y[i];
            }
        }
        p = q = r = 0;
        if (!Solve(m, 3))
            return false;
        double p0 = m[0, 3], q0 = m[1, 3], r0 = m[2, 3];
        // p0·(t − μ)² + q0·(t − μ) + r0
        p = p0;
        q = q0 - 2 * p0 * mean;
        r = p0 * mean * mean - q0 * mean + r0;
        return true;
    }

    /// <summary>Least squares y ≈ m·t + n (false when every t is the same).</summary>
    public static bool FitLine(ReadOnlySpan<double> t, ReadOnlySpan<double> y, out double m, out double n)
    {
        double mt = 0, my = 0;
        for (int i = 0; i < t.Length; i++)
        {
            mt += t[i];
            my += y[i];
        }
        mt /= t.Length;
        my /= t.Length;
        double stt = 0, sty = 0;
        for (int i = 0; i < t.Length; i++)
        {
            stt += (t[i] - mt) * (t[i] - mt);
            sty += (t[i] - mt) * (y[i] - my);
        }
        m = stt > 0 ? sty / stt : 0;
        n = my - m * mt;
        return stt > 0;
    }

    // Gauss–Jordan with partial pivoting on an augmented n × (n+1) matrix; the solution is left in the last column.
    private static bool Solve(double[,] m, int n)
    {
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int row = col + 1; row < n; row++)
            {
                if (Math.Abs(m[row, col]) > Math.Abs(m[pivot, col]))
                    pivot = row;
            }
            if (Math.Abs(m[pivot, col]) < 1e-12)
                return false;
            for (int k = 0; k <= n; k++)
                (m[col, k], m[pivot, k]) = (m[pivot, k], m[col, k]);
            for (int row = 0; row < n; row++)
            {
                if (row == col)
                    continue;
                double f = m[row, col] / m[col, col];
                for (int k = col; k <= n; k++)
                    m[row, k] -= f * m[col, k];
            }
        }
        for (int row = 0; row < n; row++)
            m[row, n] /= m[row, row];
        return true;
    }
}
