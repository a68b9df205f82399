namespace Alkanet.Behaviour.Tests;

/// <summary>The false-alarm budget: benign runs give no finding of severity medium or above.</summary>
public class BenignTests
{
    [Theory]
    [InlineData("lx-benign")]   // the guest's own boot and an administration script: config, log archive, applets
    [InlineData("win-benign")]  // the synthetic Windows guest's benign round: settings read, a report written, Notepad
    public void Benign_run_gives_no_medium_or_high_finding(string id)
    {
        var r = Corpus.Run(Corpus.Get(id));
        r.MediumOrHigh.Select(f => $"{f.Severity} {f.Rule}").ShouldBeEmpty();
    }

    [Fact]
    public void A_shells_applets_are_not_masquerading_and_dev_null_is_never_created()
    {
        var a = Corpus.Analyze(Corpus.LinuxBenignLog);
        var items = a.AllItems().ToList();
        items.ShouldContain(i => i.Kind == "process_rename", "busybox names its forked applets (the old false alarm's cause)");
        items.ShouldNotContain(i => i.HasTag("masquerade"));
        items.ShouldContain(i => i.Kind == "file_open" && i.Object == "/dev/null", "the script redirects to /dev/null");
        items.ShouldNotContain(i => i.Object.StartsWith("/dev/", StringComparison.Ordinal) && (i.Kind == "file_create" || i.Kind == "file_write"));
    }
}
