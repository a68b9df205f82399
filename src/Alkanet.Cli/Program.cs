using Alkanet.Cli;

return AlkanetCli.Run(args);
