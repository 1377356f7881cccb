using System.Text;
using Baton.Distributed;

namespace Baton.Cli.Distributed;

/// <summary>
/// Runs the command line in a process that an MPI launcher started (else exactly as <see cref="BatonCli.Run"/>).
/// Rank 0 prints as usual (without live progress redraws); the other ranks' output is dropped except their error line. A rank whose command fails
/// prints one line naming itself and calls MPI_Abort with its exit code, which ends every rank of the job.
/// </summary>
internal static class RankedRun
{
    public static int Run(string[] args)
    {
        if (!DataParallel.LaunchedByMpi())
            return BatonCli.Run(args);
        // mpirun hands the ranks a pseudo-terminal: writing to the file descriptors, not through Console, keeps .NET's
        // terminal set-up codes out of the output.
        using var stderr = RawWriter(2);
        DataParallel job;
        try
        {
            job = DataParallel.Current!;
        }
        catch (Exception e) when (e is DllNotFoundException or InvalidOperationException)
        {
            stderr.WriteLine($"baton: error: {e.Message}");
            return Cli.ExitCodes.Failure;
        }
        int code;
        if (job.IsRoot)
        {
            using var stdout = RawWriter(1);
            code = BatonCli.Run(args, stdout, stderr);
        }
        else
        {
            var err = new LastLineWriter();
            code = BatonCli.Run(args, TextWriter.Null, err);
            const string Prefix = "baton: ";
            string last = err.LastLine.StartsWith(Prefix, StringComparison.Ordinal) ? err.LastLine[Prefix.Length..] : err.LastLine;
            if (code != 0)
                stderr.WriteLine($"baton: rank {job.Rank} of {job.Size}: {last}");
        }
        if (code != 0)
        {
            stderr.Flush();
            Mpi.Abort(code);
        }
        return code;
    }

    private static StreamWriter RawWriter(int descriptor) =>
        new(new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(descriptor, ownsHandle: false), FileAccess.Write, 1)) { AutoFlush = true };

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
