using System.Text.Json;
using System.Text.Json.Nodes;
using Alkanet.Core.Json;
using Alkanet.Core.Records;

namespace Alkanet.Core.Tests;

/// <summary>The one record the paper shows must read and write back unchanged in meaning.</summary>
public class Figure2RecordTests
{
    private static readonly string FigurePath = Path.Combine(AppContext.BaseDirectory, "Data", "figure2.json");

    [Fact]
    public void Pretty_printed_figure_reads_field_for_field()
    {
        var r = JsonLinesReader.ReadFile(FigurePath).Single();

        r.No.ShouldBe(654311);
        r.CpuId.ShouldBe(0);
        r.LogType.ShouldBe(LogType.Enter);
        r.Pid.ShouldBe(0x21f4UL);
        r.Tid.ShouldBe(0x21f8UL);
        r.ProcName.ShouldBe("7d317343ffac1b");
        r.Name.ShouldBe("NtCreateFile");
        r.SysNo.ShouldBe(0x55UL);
        r.Type.ShouldBe("syscall");
        r.RetVal.ShouldBe(0UL);
        r.AdditionalInfo["desired_access"].ShouldBe("80100080");
        // RootDirectory handle 0, a backslash, then the ObjectName \??\C:\...
        r.AdditionalInfo["file_name"].ShouldBe(@"0\\??\C:\Windows\Globalization\Sorting\sortdefault.nls");
    }

    [Fact]
    public void Figure_round_trips_to_the_same_json_values()
    {
        var original = JsonNode.Parse(File.ReadAllText(FigurePath))!;
        var written = RecordJson.Serialize(JsonLinesReader.ReadFile(FigurePath).Single());

        JsonNode.DeepEquals(original, JsonNode.Parse(written)).ShouldBeTrue(written);
        written.ShouldNotContain("\n");
    }

    [Fact]
    public void Written_fields_keep_the_original_order_and_spelling()
    {
        var written = RecordJson.Serialize(JsonLinesReader.ReadFile(FigurePath).Single());
        using var doc = JsonDocument.Parse(written);
        doc.RootElement.EnumerateObject().Select(p => p.Name)
            .ShouldBe(["no", "cpu_id", "logtype", "proc_pid", "proc_tid", "proc_name", "name", "sys_no", "type", "ret_val", "additional_info"]);
    }
}
