namespace Baton.Data;

/// <summary>How <see cref="TimeSeriesFrame.FromTable(CsvTable, string?, IReadOnlyList{string}, TimeSeriesReadOptions)"/> treats what it finds.</summary>
internal sealed record TimeSeriesReadOptions
{
    /// <summary>
    /// Missing cells, rows missing from a regular time column (gaps) and outliers: an error when
    /// <see cref="TimeSeriesFill.None"/>, else filled this way (outliers only when <see cref="AllowOutliers"/> is false).
    /// </summary>
    public TimeSeriesFill Fill { get; init; } = TimeSeriesFill.None;

    /// <summary>
    /// A .NET custom date format for the time column (e.g. <c>dd/MM/yyyy</c>); null accepts ISO 8601 only
    /// (<c>yyyy-MM</c>, <c>yyyy-MM-dd</c>, <c>yyyy-MM-ddTHH:mm[:ss[.fff]]</c>, a space for the T, an optional Z or offset).
    /// </summary>
    public string? TimeFormat { get; init; }

    /// <summary>Keep values that <see cref="TimeSeriesOutliers"/> flags instead of refusing them.</summary>
    public bool AllowOutliers { get; init; }

    /// <summary>Refuse a constant column (false for prediction over a short stretch).</summary>
    public bool RejectConstant { get; init; } = true;
}
