return Baton.Cli.BatonCli.Run(args);
