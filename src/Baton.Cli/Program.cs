return Baton.Cli.Distributed.RankedRun.Run(args);
