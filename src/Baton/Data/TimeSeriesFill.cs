namespace Baton.Data;

/// <summary>How missing cells are treated when a <see cref="TimeSeriesFrame"/> is built.</summary>
internal enum TimeSeriesFill
{
    /// <summary>A missing cell is an error that names its line and column.</summary>
    None,

    /// <summary>A missing cell takes the last value seen above it in the same column.</summary>
    Forward,

    /// <summary>A gap is filled on the straight line between its neighbours; at either end the nearest value is copied.</summary>
    Linear,

    /// <summary>A missing cell becomes 0.</summary>
    Zero,
}
