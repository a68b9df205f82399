using System.Text;

namespace Alkanet.Introspection.Tests.Windows;

public class RegistryCallTests
{
    private readonly DecoderHarness _h = new();
    private const string RunKey = @"\REGISTRY\MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run";

    [Fact]
    public void NtCreateKey_and_NtOpenKeyEx_name_the_key_and_resolve_the_new_handle_to_its_full_path()
    {
        var handleOut = _h.Process.U64(0);
        var disposition = _h.Process.UserAlloc(4);
        var r = _h.Enter("NtCreateKey", handleOut, 0xF003F, _h.Process.ObjectAttributes(RunKey), 0, 0, 0, disposition);
        r.AdditionalInfo["key_name"].ShouldBe("0\\" + RunKey);
        r.AdditionalInfo["desired_access_names"].ShouldBe("KEY_ALL_ACCESS");
        var h = _h.Process.AddHandle(_h.Guest.AddKey(RunKey));
        _h.Process.Tables.WriteU64(handleOut, h);
        _h.Process.Tables.WriteU32(disposition, 1);
        var x = _h.Exit();
        x.AdditionalInfo["out_handle"].ShouldBe(h.ToString("x"));
        x.AdditionalInfo["object_name"].ShouldBe(RunKey);
        x.AdditionalInfo["create_disposition_names"].ShouldBe("REG_CREATED_NEW_KEY");

        foreach (var call in new[] { "NtOpenKey", "NtOpenKeyEx" })
        {
            var o = _h.Enter(call, handleOut, 0x20019, _h.Process.ObjectAttributes("Run", h), 0);
            o.AdditionalInfo["desired_access_names"].ShouldBe("KEY_READ");
            o.AdditionalInfo["key_name"].ShouldBe($"{h:x}\\Run");
            _h.Exit().AdditionalInfo["object_name"].ShouldBe(RunKey);
        }
    }

    [Fact]
    public void NtSetValueKey_gives_the_value_name_type_and_data()
    {
        var key = _h.Process.AddHandle(_h.Guest.AddKey(RunKey));
        var data = Encoding.Unicode.GetBytes(@"C:\Users\u\evil.exe" + "\0");
        var r = _h.Enter("NtSetValueKey", key, _h.Process.UnicodeString("Updater"), 0, 1, _h.Process.Bytes(data), (ulong)data.Length);
        r.AdditionalInfo["key_handle"].ShouldBe(key.ToString("x"));
        r.AdditionalInfo["object_name"].ShouldBe(RunKey);
        r.AdditionalInfo["value_name"].ShouldBe("Updater");
        r.AdditionalInfo["value_type"].ShouldBe("REG_SZ");
        r.AdditionalInfo["data"].ShouldBe(@"C:\Users\u\evil.exe");
        _h.Exit().Name.ShouldBe("NtSetValueKey");

        var big = new byte[600];
        var b = _h.Enter("NtSetValueKey", key, _h.Process.UnicodeString("Blob"), 0, 3, _h.Process.Bytes(big), 600);
        b.AdditionalInfo["value_type"].ShouldBe("REG_BINARY");
        b.AdditionalInfo["data"]!.Length.ShouldBe(512);
        b.AdditionalInfo["data_truncated"].ShouldBe("1");
    }

    [Fact]
    public void NtDeleteKey_NtDeleteValueKey_and_NtQueryValueKey()
    {
        var key = _h.Process.AddHandle(_h.Guest.AddKey(RunKey));
        _h.Enter("NtDeleteKey", key).AdditionalInfo["object_name"].ShouldBe(RunKey);
        _h.Exit().Name.ShouldBe("NtDeleteKey");
        var dv = _h.Enter("NtDeleteValueKey", key, _h.Process.UnicodeString("Updater"));
        dv.AdditionalInfo["value_name"].ShouldBe("Updater");
        _h.Exit().Name.ShouldBe("NtDeleteValueKey");
        var q = _h.Enter("NtQueryValueKey", key, _h.Process.UnicodeString("Updater"), 2, _h.Process.UserAlloc(64), 64, _h.Process.UserAlloc(4));
        q.AdditionalInfo["info_class_name"].ShouldBe("KeyValuePartialInformation");
        q.AdditionalInfo["value_name"].ShouldBe("Updater");
        _h.Exit(0xC0000034).RetVal.ShouldBe(0xC0000034UL);
    }
}
