Console.Error.WriteLine("Baton.Bench: harness under construction.");
return 1;
