using Alkanet.Core.Json;
using Alkanet.Introspection.Windows;

namespace Alkanet.Introspection.Tests.Windows;

/// <summary>The foundation issue's figure-2 record must come out field for field from a 1909 guest making that call.</summary>
public class Figure2Tests
{
    private static readonly string FigurePath = Path.Combine(AppContext.BaseDirectory, "data", "figure2.json");

    private static Core.Records.SyscallRecord DecodeFigure2Call(WindowsDecoderOptions? options)
    {
        var h = new DecoderHarness(decoderOptions: options);
        var oa = h.Process.ObjectAttributes(@"\??\C:\Windows\Globalization\Sorting\sortdefault.nls");
        var handleOut = h.Process.U64(0);
        var iosb = h.Process.UserAlloc(16);
        var r = h.Enter("NtCreateFile", handleOut, 0x80100080, oa, iosb, 0, 0x80, 1, 1, 0x60, 0, 0);
        r.No = 654311;
        return r;
    }

    [Fact]
    public void In_original_mode_the_record_is_figure_2_exactly()
    {
        var expected = JsonLinesReader.ReadFile(FigurePath).Single();
        var r = DecodeFigure2Call(new WindowsDecoderOptions { OriginalFieldsOnly = true });
        r.Cr3 = null;
        r.ParentPid = null; // additions the original did not have
        RecordJson.Serialize(r).ShouldBe(RecordJson.Serialize(expected));
    }

    [Fact]
    public void In_the_default_mode_every_figure_2_field_has_its_value_and_more_arguments_are_named()
    {
        var expected = JsonLinesReader.ReadFile(FigurePath).Single();
        var r = DecodeFigure2Call(null);
        (r.No, r.CpuId, r.LogType, r.Pid, r.Tid, r.ProcName, r.Name, r.SysNo, r.Type, r.RetVal)
            .ShouldBe((expected.No, expected.CpuId, expected.LogType, expected.Pid, expected.Tid, expected.ProcName, expected.Name, expected.SysNo, expected.Type, expected.RetVal));
        foreach (var (k, v) in expected.AdditionalInfo) r.AdditionalInfo[k].ShouldBe(v.Text, k);
        r.AdditionalInfo["desired_access_names"].ShouldBe("FILE_READ_ATTRIBUTES|SYNCHRONIZE|GENERIC_READ");
        r.AdditionalInfo["create_disposition_names"].ShouldBe("FILE_OPEN");
        r.AdditionalInfo["share_access_names"].ShouldBe("FILE_SHARE_READ");
        r.AdditionalInfo["create_options_names"].ShouldBe("FILE_SYNCHRONOUS_IO_NONALERT|FILE_NON_DIRECTORY_FILE");
        r.ParentPid.ShouldBe(0x1a0cUL);
    }
}
