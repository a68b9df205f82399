using Alkanet.Vmm.Gdb;

namespace Alkanet.Vmm.Tests.Gdb;

public sealed class GdbRegisterLayoutTests
{
    [Fact]
    public void Numbers_follow_regnum_and_offsets_follow_numbers()
    {
        var layout = GdbRegisterLayout.Parse(
            "<target><xi:include href=\"a.xml\"/><feature><reg name=\"x\" bitsize=\"32\" regnum=\"1\"/></feature></target>",
            annex => annex == "a.xml" ? "<feature><reg name=\"w\" bitsize=\"64\" regnum=\"0\"/><reg name=\"z\" bitsize=\"128\" regnum=\"5\"/></feature>"
                : throw new InvalidOperationException(annex));
        layout.Registers.Select(r => (r.Name, r.Number, r.Offset)).ShouldBe([("w", 0, 0), ("x", 1, 8), ("z", 5, 12)]);
        layout.GBytes.ShouldBe(28);
    }

    [Theory]
    [InlineData("<target><reg name=\"a\" bitsize=\"7\"/></target>", "bad bitsize")]
    [InlineData("<target><reg name=\"a\" bitsize=\"64\" regnum=\"-3\"/></target>", "bad regnum")]
    [InlineData("<target><reg name=\"a\" bitsize=\"64\" regnum=\"2\"/><reg name=\"b\" bitsize=\"64\" regnum=\"2\"/></target>", "numbers two registers 2")]
    [InlineData("<target><reg name=\"a\"", "not well-formed")]
    [InlineData("<target><xi:include href=\"self\"/></target>", "nest deeper")]
    public void Bad_descriptions_are_protocol_errors(string xml, string message) =>
        Should.Throw<GdbProtocolException>(() => GdbRegisterLayout.Parse(xml, _ => xml)).Message.ShouldContain(message);
}
