using Alkanet.Introspection.Memory;

namespace Alkanet.Introspection.Windows;

/// <summary>How to decode one call: its argument count (to read from the stack), ENTER and EXIT decoders, and
/// whether it returns through the normal exit path.</summary>
public sealed record CallSpec(string Name, int ArgCount, Action<DecodeContext>? Enter, Action<DecodeContext>? Exit, bool NoReturn = false);

/// <summary>The decoders, by call name (numbers come from the build's table). Argument order follows the documented
/// NT prototypes (ntifs.h / winternl.h and the public phnt headers). Field names follow docs/RECORD.md.</summary>
public static class WindowsCallDecoders
{
    public static readonly IReadOnlyDictionary<string, CallSpec> All = Build();

    private static Dictionary<string, CallSpec> Build()
    {
        var specs = new List<CallSpec>
        {
            // Files
            new("NtCreateFile", 11, c =>
            {
                c.Flags("desired_access", c.Arg(1), WindowsFlags.FileAccess);
                c.ObjectAttributes("file_name", c.Arg(2));
                if (c.Original) return;
                c.Flags("file_attributes", c.Arg(5), WindowsFlags.FileAttributes);
                c.Flags("share_access", c.Arg(6), WindowsFlags.ShareAccess);
                c.Flags("create_disposition", c.Arg(7), WindowsFlags.CreateDisposition);
                c.Flags("create_options", c.Arg(8), WindowsFlags.CreateOptions);
            }, c => OutHandleWithName(c, 0)),
            new("NtOpenFile", 6, c =>
            {
                c.Flags("desired_access", c.Arg(1), WindowsFlags.FileAccess);
                c.ObjectAttributes("file_name", c.Arg(2));
                if (c.Original) return;
                c.Flags("share_access", c.Arg(4), WindowsFlags.ShareAccess);
                c.Flags("create_options", c.Arg(5), WindowsFlags.CreateOptions);
            }, c => OutHandleWithName(c, 0)),
            new("NtReadFile", 9, c => { c.Handle("file_handle", c.Arg(0)); c.HexValue("size", c.Arg(6)); },
                c => { c.Handle("file_handle", c.Arg(0)); c.IoInformation("size", c.Arg(4)); }),
            new("NtWriteFile", 9, c => { c.Handle("file_handle", c.Arg(0)); c.HexValue("size", c.Arg(6)); WindowsWriteCapture.WriteFile(c); },
                c => { c.Handle("file_handle", c.Arg(0)); c.IoInformation("bytes_written", c.Arg(4)); }),
            new("NtSetInformationFile", 5, SetInformationFile, null),
            new("NtDeleteFile", 1, c => c.ObjectAttributes("file_name", c.Arg(0)), null),
            new("NtQueryAttributesFile", 2, c => c.ObjectAttributes("file_name", c.Arg(0)), c =>
            {
                if (!c.Succeeded || c.Arg(1) == 0) return;
                var off = c.Profile.Isf.TryGetField("_FILE_BASIC_INFORMATION", "FileAttributes", out var loc) ? loc.Offset : 32;
                c.Deref32Flags("file_attributes", c.Arg(1) + off, WindowsFlags.FileAttributes);
            }),
            new("NtDeviceIoControlFile", 10, DeviceIoControl, null),

            // Registry
            new("NtCreateKey", 7, c =>
            {
                c.Flags("desired_access", c.Arg(1), WindowsFlags.KeyAccess);
                c.ObjectAttributes("key_name", c.Arg(2));
                c.Flags("create_options", c.Arg(5), WindowsFlags.KeyOptions);
            }, c =>
            {
                OutHandleWithName(c, 0);
                if (c.Succeeded) c.Deref32Flags("create_disposition", c.Arg(6), WindowsFlags.KeyDisposition);
            }),
            new("NtOpenKey", 3, OpenKey, c => OutHandleWithName(c, 0)),
            new("NtOpenKeyEx", 4, OpenKey, c => OutHandleWithName(c, 0)),
            new("NtSetValueKey", 6, c =>
            {
                c.Handle("key_handle", c.Arg(0));
                c.UnicodeStringAt("value_name", c.Arg(1));
                c.Text("value_type", WindowsFlags.RegistryValueType.NameOf(c.Arg(3)));
                c.RegistryData(c.Arg(3), c.Arg(4), c.Arg(5));
            }, null),
            new("NtDeleteKey", 1, c => c.Handle("key_handle", c.Arg(0)), null),
            new("NtDeleteValueKey", 2, c => { c.Handle("key_handle", c.Arg(0)); c.UnicodeStringAt("value_name", c.Arg(1)); }, null),
            new("NtQueryValueKey", 6, c =>
            {
                c.Handle("key_handle", c.Arg(0));
                c.UnicodeStringAt("value_name", c.Arg(1));
                c.InfoClass(c.Arg(2), WindowsFlags.KeyValueInfoClass);
            }, null),

            // Processes and threads
            new("NtCreateUserProcess", 11, c =>
            {
                c.Flags("desired_access", c.Arg(2), WindowsFlags.ProcessAccess);
                c.Flags("flags", c.Arg(6), WindowsFlags.ProcessCreateFlags);
                c.Flags("thread_flags", c.Arg(7), WindowsFlags.ThreadCreateFlags); // CreateProcess(CREATE_SUSPENDED) sets it
                ProcessParameters(c, c.Arg(8));
            }, c =>
            {
                if (c.OutHandle("out_handle", c.Arg(0), out var ph) && c.Objects.TryProcessId(c.Memory, c.Caller, ph,
                    out var pid)) c.HexValue("new_pid", pid);
                if (c.OutHandle("out_thread_handle", c.Arg(1), out var th) && c.Objects.TryThreadIds(c.Memory, c.Caller, th, out var tpid,
                    out var tid))
                {
                    c.HexValue("new_pid", tpid);
                    c.HexValue("new_tid", tid);
                }
                if (c.Succeeded) AttributeClientId(c, c.Arg(10));
            }),
            new("NtCreateProcessEx", 9, c =>
            {
                c.Flags("desired_access", c.Arg(1), WindowsFlags.ProcessAccess);
                c.ProcessHandle("process_handle", c.Arg(3));
                c.Flags("flags", c.Arg(4), WindowsFlags.ProcessCreateFlags);
                if (c.Arg(5) != 0) c.Handle("section_handle", c.Arg(5));
            }, c =>
            {
                if (c.OutHandle("out_handle", c.Arg(0), out var ph) && c.Objects.TryProcessId(c.Memory, c.Caller, ph,
                    out var pid)) c.HexValue("new_pid", pid);
            }),
            new("NtOpenProcess", 4, c =>
            {
                c.Flags("desired_access", c.Arg(1), WindowsFlags.ProcessAccess);
                c.ClientId(c.Arg(3));
            }, c => { if (c.OutHandle("out_handle", c.Arg(0), out var h)) c.TargetName(h); }),
            new("NtTerminateProcess", 2, c => c.ProcessHandle("process_handle", c.Arg(0)), null),
            new("NtCreateThreadEx", 11, c =>
            {
                c.Flags("desired_access", c.Arg(1), WindowsFlags.ThreadAccess);
                c.ProcessHandle("process_handle", c.Arg(3));
                c.HexValue("start_address", c.Arg(4));
                c.Flags("flags", c.Arg(6), WindowsFlags.ThreadCreateFlags);
            }, c =>
            {
                if (c.OutHandle("out_handle", c.Arg(0), out var th) && c.Objects.TryThreadIds(c.Memory, c.Caller, th, out var pid, out var tid))
                {
                    c.HexValue("new_pid", pid);
                    c.HexValue("new_tid", tid);
                }
            }),
            new("NtOpenThread", 4, c =>
            {
                c.Flags("desired_access", c.Arg(1), WindowsFlags.ThreadAccess);
                c.ClientId(c.Arg(3));
            }, c => c.OutHandle("out_handle", c.Arg(0), out _)),
            new("NtSuspendThread", 2, c => c.ThreadHandle("thread_handle", c.Arg(0)), null),
            new("NtResumeThread", 2, c => c.ThreadHandle("thread_handle", c.Arg(0)), null),
            new("NtGetContextThread", 2, c => c.ThreadHandle("thread_handle", c.Arg(0)), null),
            new("NtSetContextThread", 2, c => c.ThreadHandle("thread_handle", c.Arg(0)), null),
            new("NtQueueApcThread", 5, c => { c.ThreadHandle("thread_handle", c.Arg(0)); c.HexValue("apc_routine", c.Arg(1)); }, null),
            new("NtQueueApcThreadEx", 6, c => { c.ThreadHandle("thread_handle", c.Arg(0)); c.HexValue("apc_routine", c.Arg(2)); }, null),
            new("NtSetInformationThread", 4, c => { c.ThreadHandle("thread_handle", c.Arg(0)); c.InfoClass(c.Arg(1), WindowsFlags.ThreadInfoClass); },
                null),
            new("NtQueryInformationProcess", 5, c => { c.ProcessHandle("process_handle", c.Arg(0)); c.InfoClass(c.Arg(1),
                WindowsFlags.ProcessInfoClass); }, null),
            new("NtQuerySystemInformation", 4, c => c.InfoClass(c.Arg(0), WindowsFlags.SystemInfoClass), null),

            // Memory
            new("NtAllocateVirtualMemory", 6, c =>
            {
                c.ProcessHandle("process_handle", c.Arg(0));
                c.Deref64("base_address", c.Arg(1));
                c.Deref64("region_size", c.Arg(3));
                c.Flags("allocation_type", c.Arg(4), WindowsFlags.AllocationType);
                c.Flags("protect", c.Arg(5), WindowsFlags.PageProtect);
            }, c =>
            {
                if (!c.Succeeded) return;
                c.Deref64("base_address", c.Arg(1));
                c.Deref64("region_size", c.Arg(3));
            }),
            new("NtWriteVirtualMemory", 5, c =>
            {
                c.ProcessHandle("process_handle", c.Arg(0));
                c.HexValue("base_address", c.Arg(1));
                c.HexValue("size", c.Arg(3));
                WindowsWriteCapture.WriteVirtualMemory(c);
            }, c => { if (c.Succeeded) c.Deref64("bytes_written", c.Arg(4)); }),
            new("NtReadVirtualMemory", 5, c =>
            {
                c.ProcessHandle("process_handle", c.Arg(0));
                c.HexValue("base_address", c.Arg(1));
                c.HexValue("size", c.Arg(3));
            }, null),
            new("NtProtectVirtualMemory", 5, c =>
            {
                c.ProcessHandle("process_handle", c.Arg(0));
                c.Deref64("base_address", c.Arg(1));
                c.Deref64("region_size", c.Arg(2));
                c.Flags("new_protect", c.Arg(3), WindowsFlags.PageProtect);
            }, c => { if (c.Succeeded) c.Deref32Flags("old_protect", c.Arg(4), WindowsFlags.PageProtect); }),
            new("NtCreateSection", 7, c =>
            {
                c.Flags("desired_access", c.Arg(1), WindowsFlags.SectionAccess);
                c.ObjectAttributes("file_name", c.Arg(2));
                c.Flags("protect", c.Arg(4), WindowsFlags.PageProtect);
                c.Flags("allocation_type", c.Arg(5), WindowsFlags.SectionAttributes);
                if (c.Arg(6) != 0) c.Handle("file_handle", c.Arg(6));
            }, c => c.OutHandle("out_handle", c.Arg(0), out _)),
            new("NtMapViewOfSection", 10, c =>
            {
                c.Handle("section_handle", c.Arg(0));
                c.ProcessHandle("process_handle", c.Arg(1));
                c.Deref64("base_address", c.Arg(2));
                c.Flags("allocation_type", c.Arg(8), WindowsFlags.AllocationType);
                c.Flags("protect", c.Arg(9), WindowsFlags.PageProtect);
            }, c =>
            {
                if (!c.Succeeded) return;
                c.Deref64("base_address", c.Arg(2));
                c.Deref64("region_size", c.Arg(6));
                WindowsWriteCapture.MapViewOfSection(c);
            }),
            new("NtUnmapViewOfSection", 2, c =>
            {
                c.ProcessHandle("process_handle", c.Arg(0));
                c.HexValue("base_address", c.Arg(1));
                WindowsWriteCapture.UnmapViewOfSection(c);
            }, null),

            // Synchronisation, time, drivers, handles
            new("NtCreateMutant", 4, c => { c.Flags("desired_access", c.Arg(1), WindowsFlags.MutantAccess); c.ObjectNameOnly("mutant_name",
                c.Arg(2)); },
                c => c.OutHandle("out_handle", c.Arg(0), out _)),
            new("NtOpenMutant", 3, c => { c.Flags("desired_access", c.Arg(1), WindowsFlags.MutantAccess); c.ObjectNameOnly("mutant_name",
                c.Arg(2)); },
                c => c.OutHandle("out_handle", c.Arg(0), out _)),
            new("NtDelayExecution", 2, c =>
            {
                if (c.Memory.TryReadU64(c.Arg(1), out var interval)) c.Decimal("interval_100ns", (long)interval);
                else c.Unreadable("interval_100ns", c.Arg(1));
            }, null),
            new("NtLoadDriver", 1, c => c.UnicodeStringAt("driver_service_name", c.Arg(0)), null),
            new("NtClose", 1, c => c.Handle("handle", c.Arg(0)), null),

            // Calls that do not come back through the exit path: never kept for pairing.
            new("NtContinue", 2, null, null, NoReturn: true),
            new("NtContinueEx", 2, null, null, NoReturn: true),
            new("NtCallbackReturn", 3, null, null, NoReturn: true),
            new("NtRaiseException", 3, null, null, NoReturn: true),
            new("NtTerminateThread", 2, c => c.ThreadHandle("thread_handle", c.Arg(0)), null),
        };
        return specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
    }

    private static void OutHandleWithName(DecodeContext c, int pointerArg)
    {
        if (c.OutHandle("out_handle", c.Arg(pointerArg), out var h))
        {
            var name = c.Objects.HandleName(c.Memory, c.Caller.Process, h);
            if (name is not null) c.Text("object_name", name);
        }
    }

    private static void OpenKey(DecodeContext c)
    {
        c.Flags("desired_access", c.Arg(1), WindowsFlags.KeyAccess);
        c.ObjectAttributes("key_name", c.Arg(2));
    }

    private static void SetInformationFile(DecodeContext c)
    {
        c.Handle("file_handle", c.Arg(0));
        var cls = c.Arg(4);
        var info = c.Arg(2);
        c.Text("info_class", c.Hex.Get(cls));
        c.Text("info_class_name", FileInfoClassName(c, cls));
        switch (cls)
        {
            case 10 or 65: // FileRenameInformation(Ex): FILE_RENAME_INFORMATION { flags; RootDirectory @8; FileNameLength @16; FileName @20 }
                if (c.Memory.TryReadU32(info + 16, out var len))
                    c.Text("new_name", c.Utf16(info + 20, (int)Math.Min(len, 4096u)));
                else c.Unreadable("new_name", info);
                break;
            case 13: // FileDispositionInformation { BOOLEAN DeleteFile }
                if (c.Memory.TryReadU8(info, out var del)) c.Text("delete", del != 0 ? "1" : "0");
                break;
            case 64: // FileDispositionInformationEx { ULONG Flags }: FILE_DISPOSITION_DELETE = 1
                if (c.Memory.TryReadU32(info, out var flags)) c.Text("delete", (flags & 1) != 0 ? "1" : "0");
                break;
        }
    }

    private static readonly Dictionary<ulong, string> FileClassNames = [];

    /// <summary>FILE_INFORMATION_CLASS names come from the symbol table's enum when it has one.</summary>
    private static string FileInfoClassName(DecodeContext c, ulong value)
    {
        lock (FileClassNames)
        {
            if (FileClassNames.Count == 0 && c.Profile.Isf.TryGetEnum("_FILE_INFORMATION_CLASS", out var constants))
                foreach (var (name, v) in constants) FileClassNames.TryAdd((ulong)v, name);
            return FileClassNames.TryGetValue(value, out var n) ? n : c.Hex.Get(value);
        }
    }

    private static void DeviceIoControl(DecodeContext c)
    {
        c.Handle("file_handle", c.Arg(0));
        var code = c.Arg(5);
        c.HexValue("ioctl", code);
        c.Text("ioctl_name", WindowsFlags.AfdIoctl.NameOf(code));
        var input = c.Arg(6);
        var length = c.Arg(7);
        // AFD input layouts (reverse-engineered, as documented by ReactOS' afd.h): connect info holds the remote
        // SOCKADDR after three pointer-size fields; bind data holds the local one after a 32-bit share type.
        if (code == 0x12007 && length >= 24 + 8) c.SocketAddress("remote_address", input + 24);
        else if (code == 0x12003 && length >= 4 + 8) c.SocketAddress("local_address", input + 4);
    }

    private static void ProcessParameters(DecodeContext c, ulong parameters)
    {
        if (parameters == 0) return;
        var p = c.Profile;
        // Not-yet-normalized parameters hold buffer offsets instead of pointers (RTL_USER_PROC_PARAMS_NORMALIZED = 1).
        var normalized = !c.Profile.Isf.TryGetField("_RTL_USER_PROCESS_PARAMETERS", "Flags", out var fl)
            || !c.Memory.TryReadU32(parameters + fl.Offset, out var flags) || (flags & 1) != 0;
        Read("image_name", parameters + p.ParamsImagePathName);
        Read("command_line", parameters + p.ParamsCommandLine);

        void Read(string name, ulong descriptor)
        {
            if (!c.Memory.TryReadUnicodeDescriptor(p.UnicodeString, descriptor, out var len, out var buf))
            {
                c.Unreadable(name, descriptor);
                return;
            }
            if (!normalized) buf += parameters;
            c.Text(name, c.Utf16(buf, len));
        }
    }

    /// <summary>PS_ATTRIBUTE_LIST { SIZE_T TotalLength; PS_ATTRIBUTE Attributes[] } with 32-byte attributes
    /// { Attribute; Size; Value; ReturnLength* }: the PS_ATTRIBUTE_CLIENT_ID (0x10003) entry receives the new ids.</summary>
    private static void AttributeClientId(DecodeContext c, ulong list)
    {
        if (list == 0 || !c.Memory.TryReadU64(list, out var total)) return;
        var count = Math.Min((total - 8) / 32, 16UL);
        for (ulong i = 0; i < count; i++)
        {
            var a = list + 8 + (i * 32);
            if (!c.Memory.TryReadU64(a, out var attr) || attr != 0x10003) continue;
            if (c.Memory.TryReadU64(a + 16, out var cid)) c.ClientId(cid, "new_pid", "new_tid");
            return;
        }
    }
}
