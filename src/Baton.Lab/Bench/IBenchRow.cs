namespace Baton.Lab.Bench;

/// <summary>
/// One named benchmark row. <see cref="Prepare"/> allocates and initialises everything (untimed) and
/// returns the work to time. A row is found by <see cref="BenchRegistry"/> when its class (public or
/// internal, with a parameterless constructor) lives in this assembly: add a row with one file under Rows/.
/// </summary>
public interface IBenchRow
{
    /// <summary>The row's name on the command line and in the JSON (for example <c>lstm-small</c>).</summary>
    string Name { get; }

    /// <summary>One line saying what is measured.</summary>
    string Description { get; }

    /// <summary>Builds the inputs and returns the timed work with its counts.</summary>
    BenchWork Prepare();
}

/// <summary>A family of rows built from a sweep (for example the recurrent-step shapes); found like <see cref="IBenchRow"/>.</summary>
public interface IBenchRowFamily
{
    /// <summary>The rows of the family.</summary>
    IEnumerable<IBenchRow> Rows { get; }
}
