using System.CommandLine;
using Baton.Cli.Cli;

namespace Baton.Cli;

/// <summary>The `baton` command line: parsing, global options and error handling.</summary>
public static class BatonCli
{
    /// <summary>
    /// Runs baton with <paramref name="args"/>. Writers default to the console; tests pass their own.
    /// Returns the exit code: 0 ok, 1 failure while running, 2 usage error or bad input.
    /// </summary>
    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, TextReader? stdin = null)
    {
        CliContext.Set(stdout, stderr, stdin);
        var root = BuildRoot();
        ParseResult parse = root.Parse(args);
        var err = CliContext.Err;
        if (args.Length == 0)
            parse = root.Parse(["--help"]);
        if (parse.Errors.Count > 0)
        {
            // The most specific error first: a bad value matters more than a missing subcommand.
            var error = parse.Errors.FirstOrDefault(e => !e.Message.StartsWith("Required command", StringComparison.Ordinal))
                ?? parse.Errors[0];
            err.WriteLine($"baton: error: {Named(error)} (see '{CommandPath(parse)} --help')");
            return ExitCodes.BadInput;
        }
        int previousThreads = Baton.Numerics.Threads.Count;
        try
        {
            if (parse.GetValue(GlobalOptions.Threads) is int threads)
                Baton.Numerics.Threads.Count = threads;
            var config = new InvocationConfiguration
            {
                EnableDefaultExceptionHandler = false,
                Output = CliContext.Out,
                Error = CliContext.Err,
            };
            return parse.Invoke(config);
        }
        catch (Exception e)
        {
            return Report(e, err);
        }
        finally
        {
            Baton.Numerics.Threads.Count = previousThreads;
            CliContext.Out.Flush();
            err.Flush();
        }
    }

    internal static Command BuildRoot()
    {
        // A plain command named "baton" (not RootCommand, which would take the assembly's name).
        var root = new Command("baton",
            "baton — recurrent neural networks (RNN, LSTM, GRU, minGRU, minLSTM) that you can train, run and understand.\n" +
            "Train a character model on any UTF-8 text, sample from it, forecast time series, measure memory and gradients.");
        root.Options.Add(new System.CommandLine.Help.HelpOption());
        root.Options.Add(new VersionOption());
        root.Options.Add(GlobalOptions.Json);
        root.Options.Add(GlobalOptions.Quiet);
        root.Options.Add(GlobalOptions.Threads);
        foreach (var command in CommandCatalog.TopLevel())
            root.Subcommands.Add(command);
        return root;
    }

    private static int Report(Exception e, TextWriter err)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } agg)
            e = agg.InnerExceptions[0];
        switch (e)
        {
            case CliError cli:
                err.WriteLine($"baton: error: {cli.Message}");
                return cli.ExitCode;
            case Baton.IO.SafeTensorsFormatException or Baton.Models.ModelConfigException:
                err.WriteLine($"baton: error: {OneLine(e.Message)}");
                return ExitCodes.BadInput;
            case InvalidDataException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or FormatException:
                err.WriteLine($"baton: error: {OneLine(e.Message)}");
                return ExitCodes.BadInput;
            case OperationCanceledException:
                err.WriteLine("baton: cancelled.");
                return ExitCodes.Failure;
            default:
                err.WriteLine($"baton: failed: {OneLine(e.Message)} ({e.GetType().Name})");
                if (Environment.GetEnvironmentVariable("BATON_DEBUG") == "1")
                    err.WriteLine(e.ToString());
                return ExitCodes.Failure;
        }
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, result.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>The error's message on one line, led by the option it concerns when the message does not name it.</summary>
    private static string Named(System.CommandLine.Parsing.ParseError error)
    {
        string message = OneLine(error.Message);
        var option = error.SymbolResult switch
        {
            System.CommandLine.Parsing.OptionResult o => o.Option,
            System.CommandLine.Parsing.ArgumentResult { Parent: System.CommandLine.Parsing.OptionResult o } => o.Option,
            _ => null,
        };
        return option is null || message.Contains(option.Name, StringComparison.Ordinal) ? message : $"{option.Name}: {message}";
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
