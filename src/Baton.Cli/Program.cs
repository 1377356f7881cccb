Console.Error.WriteLine("baton: under construction.");
return 1;
