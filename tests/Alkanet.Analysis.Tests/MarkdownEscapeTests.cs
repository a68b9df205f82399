using Alkanet.Analysis.Output;

namespace Alkanet.Analysis.Tests;

/// <summary>The Markdown report quotes guest-chosen text; rendered to HTML by a viewer it must stay text.</summary>
public class MarkdownEscapeTests
{
    [Fact]
    public void Guest_chosen_html_links_and_table_breaks_in_the_markdown_report_stay_text()
    {
        var r = TestLogs.Report(TestLogs.Fixture("windows-injection.jsonl"), "sample.exe");
        var sample = r.Processes.First(p => p.Role != "other");
        sample.Name = "<img src=x onerror=alert(1)>.exe";
        sample.CommandLine = "run `x`\n\n<script>alert(2)</script>";
        var item = r.Behaviour.First(i => i.Kind is not "file_open" and not "registry_open");
        item.Object = "C:\\a|b [click](javascript:alert(3)) <b>&";
        var md = ReportWriters.ToMarkdown(r);
        md.ShouldNotContain("<img");
        md.ShouldNotContain("<b>");
        md.ShouldContain("&lt;img src=x onerror=alert(1)&gt;.exe");
        md.ShouldContain("C:\\a\\|b \\[click\\](javascript:alert(3)) &lt;b&gt;&amp;");
        // the command line stays inside its code span, on its line (where HTML is shown literally)
        md.ShouldContain("`run 'x'  <script>alert(2)</script>`");
    }
}
