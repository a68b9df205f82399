using System.Text;

namespace Alkanet.Introspection.Tests.Windows;

public class FileCallTests
{
    private readonly DecoderHarness _h = new();

    [Fact]
    public void NtCreateFile_exit_gives_the_new_handle_and_the_file_it_names()
    {
        var file = _h.Guest.AddFile(@"\Windows\Globalization\Sorting\sortdefault.nls");
        var handleOut = _h.Process.U64(0);
        _h.Enter("NtCreateFile", handleOut, 0x80100080, _h.Process.ObjectAttributes(@"\??\C:\x"), _h.Process.UserAlloc(16), 0, 0x80, 1, 1, 0x60, 0, 0);
        var handle = _h.Process.AddHandle(file);
        _h.Process.Tables.WriteU64(handleOut, handle);
        var r = _h.Exit(0);
        r.LogType.ShouldBe(Core.Records.LogType.Exit);
        r.Name.ShouldBe("NtCreateFile");
        r.SysNo.ShouldBe(0x55UL);
        r.RetVal.ShouldBe(0UL);
        r.AdditionalInfo["out_handle"].ShouldBe(handle.ToString("x"));
        r.AdditionalInfo["object_name"].ShouldBe(@"\Windows\Globalization\Sorting\sortdefault.nls");
    }

    [Fact]
    public void A_failed_create_reports_its_status_and_no_handle()
    {
        _h.Enter("NtCreateFile", _h.Process.U64(0), 0x80100080, _h.Process.ObjectAttributes(@"\??\C:\missing"), _h.Process.UserAlloc(16), 0, 0x80, 1, 1, 0x60, 0, 0);
        var r = _h.Exit(0xC0000034);
        r.RetVal.ShouldBe(0xC0000034UL);
        r.AdditionalInfo["out_handle"].ShouldBeNull();
    }

    [Fact]
    public void NtOpenFile_enter_and_exit()
    {
        var root = _h.Process.AddHandle(_h.Guest.AddFile(@"\Users"));
        var handleOut = _h.Process.U64(0);
        var r = _h.Enter("NtOpenFile", handleOut, 0x100001, _h.Process.ObjectAttributes("a.txt", root), _h.Process.UserAlloc(16), 3, 0x21);
        r.AdditionalInfo["file_name"].ShouldBe($"{root:x}\\a.txt");
        r.AdditionalInfo["desired_access_names"].ShouldBe("FILE_READ_DATA|SYNCHRONIZE");
        r.AdditionalInfo["share_access_names"].ShouldBe("FILE_SHARE_READ|FILE_SHARE_WRITE");
        var h = _h.Process.AddHandle(_h.Guest.AddFile(@"\Users\a.txt"));
        _h.Process.Tables.WriteU64(handleOut, h);
        var x = _h.Exit();
        x.AdditionalInfo["out_handle"].ShouldBe(h.ToString("x"));
        x.AdditionalInfo["object_name"].ShouldBe(@"\Users\a.txt");
    }

    [Fact]
    public void NtWriteFile_and_NtReadFile_say_which_file_and_how_many_bytes()
    {
        var h = _h.Process.AddHandle(_h.Guest.AddFile(@"\Temp\log.txt"));
        var iosb = _h.Process.UserAlloc(16);
        var w = _h.Enter("NtWriteFile", h, 0, 0, 0, iosb, _h.Process.Bytes("hello"u8), 5, 0, 0);
        w.AdditionalInfo["file_handle"].ShouldBe(h.ToString("x"));
        w.AdditionalInfo["object_name"].ShouldBe(@"\Temp\log.txt");
        w.AdditionalInfo["size"].ShouldBe("5");
        _h.Process.Tables.WriteU64(iosb + 8, 5);
        _h.Exit().AdditionalInfo["bytes_written"].ShouldBe("5");

        var rd = _h.Enter("NtReadFile", h, 0, 0, 0, iosb, _h.Process.UserAlloc(0x100), 0x100, 0, 0);
        rd.AdditionalInfo["size"].ShouldBe("100");
        _h.Process.Tables.WriteU64(iosb + 8, 0x20);
        _h.Exit().AdditionalInfo["size"].ShouldBe("20");
    }

    [Fact]
    public void NtSetInformationFile_decodes_rename_and_delete()
    {
        var h = _h.Process.AddHandle(_h.Guest.AddFile(@"\Temp\a.tmp"));
        var name = Encoding.Unicode.GetBytes(@"\??\C:\Temp\b.exe");
        var rename = _h.Process.UserAlloc(20 + (ulong)name.Length);
        _h.Process.Tables.WriteU32(rename + 16, (uint)name.Length);
        _h.Process.Tables.Write(rename + 20, name);
        var r = _h.Enter("NtSetInformationFile", h, _h.Process.UserAlloc(16), rename, 20 + (ulong)name.Length, 10);
        r.AdditionalInfo["info_class_name"].ShouldBe("FileRenameInformation");
        r.AdditionalInfo["new_name"].ShouldBe(@"\??\C:\Temp\b.exe");
        r.AdditionalInfo["object_name"].ShouldBe(@"\Temp\a.tmp");
        _h.Exit().Name.ShouldBe("NtSetInformationFile");

        var d = _h.Enter("NtSetInformationFile", h, _h.Process.UserAlloc(16), _h.Process.Bytes([1]), 1, 13);
        d.AdditionalInfo["info_class_name"].ShouldBe("FileDispositionInformation");
        d.AdditionalInfo["delete"].ShouldBe("1");
        var dx = _h.Enter("NtSetInformationFile", h, _h.Process.UserAlloc(16), _h.Process.Bytes([3, 0, 0, 0]), 4, 64);
        dx.AdditionalInfo["delete"].ShouldBe("1");
    }

    [Fact]
    public void NtDeleteFile_and_NtQueryAttributesFile()
    {
        _h.Enter("NtDeleteFile", _h.Process.ObjectAttributes(@"\??\C:\x.txt")).AdditionalInfo["file_name"].ShouldBe(@"0\\??\C:\x.txt");
        _h.Exit().Name.ShouldBe("NtDeleteFile");
        var info = _h.Process.UserAlloc(40);
        _h.Enter("NtQueryAttributesFile", _h.Process.ObjectAttributes(@"\??\C:\y"), info).AdditionalInfo["file_name"].ShouldBe(@"0\\??\C:\y");
        _h.Process.Tables.WriteU32(info + 32, 0x22);
        _h.Exit().AdditionalInfo["file_attributes_names"].ShouldBe("FILE_ATTRIBUTE_HIDDEN|FILE_ATTRIBUTE_ARCHIVE");
    }

    [Fact]
    public void NtDeviceIoControlFile_decodes_afd_connect_and_bind()
    {
        var sock = _h.Process.AddHandle(_h.Guest.AddFile(@"\Endpoint"));
        var connect = new byte[24 + 16];
        connect[24] = 2; // AF_INET
        connect[26] = 0; connect[27] = 80;
        connect[28] = 93; connect[29] = 184; connect[30] = 216; connect[31] = 34;
        var r = _h.Enter("NtDeviceIoControlFile", sock, 0, 0, 0, _h.Process.UserAlloc(16), 0x12007, _h.Process.Bytes(connect), (ulong)connect.Length, 0, 0);
        r.AdditionalInfo["ioctl"].ShouldBe("12007");
        r.AdditionalInfo["ioctl_name"].ShouldBe("IOCTL_AFD_CONNECT");
        r.AdditionalInfo["remote_address"].ShouldBe("93.184.216.34:80");
        r.AdditionalInfo["family"].ShouldBe("AF_INET");
        _h.Exit(0x103).RetVal.ShouldBe(0x103UL);

        var bind = new byte[4 + 28];
        bind[4] = 23; // AF_INET6
        bind[6] = 0x1F; bind[7] = 0x90;
        bind[8 + 4 + 15] = 1; // ::1
        var b = _h.Enter("NtDeviceIoControlFile", sock, 0, 0, 0, _h.Process.UserAlloc(16), 0x12003, _h.Process.Bytes(bind), (ulong)bind.Length, 0, 0);
        b.AdditionalInfo["local_address"].ShouldBe("[::1]:8080");
    }
}
