namespace Alkanet.Cli;

/// <summary>The command's exit codes (documented in README "Exit codes").</summary>
public static class ExitCodes
{
    /// <summary>Success; for <c>log validate</c>, the log is valid.</summary>
    public const int Ok = 0;

    /// <summary>The command ran and failed: bad input, a check that found problems, a run that did not complete.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself is wrong: unknown option, missing argument, bad value.</summary>
    public const int Usage = 2;
}
