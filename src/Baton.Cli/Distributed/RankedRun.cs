using System.Text;
using Baton.Distributed;

namespace Baton.Cli.Distributed;

/// <summary>
/// Runs the command line in a process that an MPI launcher started (else exactly as <see cref="BatonCli.Run"/>).
/// Rank 0 prints as usual; the other ranks' output is dropped except their error line. A rank whose command fails
/// prints one line naming itself and calls MPI_Abort with its exit code, which ends every rank of the job.
/// </summary>
internal static class RankedRun
{
    public static int Run(string[] args)
    {
        if (!DataParallel.LaunchedByMpi())
            return BatonCli.Run(args);
        DataParallel job;
        try
        {
            job = DataParallel.Current!;
        }
        catch (Exception e) when (e is DllNotFoundException or InvalidOperationException)
        {
            Console.Error.WriteLine($"baton: error: {e.Message}");
            return Cli.ExitCodes.Failure;
        }
        int code;
        if (job.IsRoot)
        {
            code = BatonCli.Run(args);
        }
        else
        {
            var err = new LastLineWriter();
            code = BatonCli.Run(args, TextWriter.Null, err);
            if (code != 0)
                Console.Error.WriteLine($"baton: rank {job.Rank} of {job.Size}: {err.LastLine}");
        }
        if (code != 0)
        {
            Console.Error.Flush();
            Mpi.Abort(code);
        }
        return code;
    }

    /// <summary>Keeps only the last complete line written (the error a failing command ends with).</summary>
    private sealed class LastLineWriter : TextWriter
    {
        private readonly StringBuilder line = new();

        public string LastLine { get; private set; } = "";

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                LastLine = line.ToString().TrimEnd('\r');
                line.Clear();
            }
            else
            {
                line.Append(value);
            }
        }
    }
}
