using Alkanet.Vmm.QemuPlugin;

namespace Alkanet.Vmm.QemuPlugin.Tests;

/// <summary>The argument strings the run path builds (AnalysisGuestLaunch, DiskImageLaunch) parse to what the plugin uses.</summary>
public sealed class PluginArgumentsTests
{
    private static PluginArguments Parse(string line)
    {
        var args = PluginArguments.Parse(line.Split(','), out var error);
        args.ShouldNotBeNull(error);
        return args;
    }

    private static string Error(string line)
    {
        PluginArguments.Parse(line.Split(','), out var error).ShouldBeNull();
        return error;
    }

    [Fact]
    public void The_linux_line_defaults_to_linux_and_passes_the_os_settings_on()
    {
        var a = Parse("profile=/c/profile.txt,ring=/dev/shm/r,args=decoded,cr3=on");
        a.Os.ShouldBe("linux");
        a.RingPath.ShouldBe("/dev/shm/r");
        a.Stage.ShouldBe(HookStage.Full);
        a.Settings.Get("profile").ShouldBe("/c/profile.txt");
        a.Settings.Get("args").ShouldBe("decoded");
        a.Settings.IsOn("cr3").ShouldBeTrue();
        a.Settings.Values.ContainsKey("ring").ShouldBeFalse(); // the plugin's own, not the OS's
    }

    [Fact]
    public void The_windows_line_names_its_os_and_profile_folder()
    {
        var a = Parse("os=windows,ring=/dev/shm/w,args=all,profiles=/p,stage=decode");
        a.Os.ShouldBe("windows");
        a.Settings.Get("profiles").ShouldBe("/p");
        a.Settings.Get("args").ShouldBe("all");
        a.Settings.IsOn("cr3").ShouldBeFalse();
        a.Stage.ShouldBe(HookStage.Decode);
    }

    [Theory]
    [InlineData("hit", HookStage.Hit)]
    [InlineData("decode", HookStage.Decode)]
    [InlineData("full", HookStage.Full)]
    public void Stages_have_names(string text, HookStage stage) => Parse($"ring=r,stage={text}").Stage.ShouldBe(stage);

    [Fact]
    public void Bad_lines_say_what_is_wrong()
    {
        Error("profile=p").ShouldContain("needs ring=FILE");
        Error("os=windows,ring=").ShouldContain("needs ring=FILE");
        Error("ring=r,colour=blue").ShouldContain("unknown argument 'colour=blue'");
        Error("ring=r,stage=2").ShouldContain("unknown stage '2'");
    }

    [Theory]
    [InlineData("cr3=on", true)]
    [InlineData("cr3=1", true)]
    [InlineData("cr3=true", true)]
    [InlineData("cr3=off", false)]
    [InlineData("cr3", false)]
    public void Cr3_is_on_only_when_said(string arg, bool on) => Parse("ring=r," + arg).Settings.IsOn("cr3").ShouldBe(on);
}
