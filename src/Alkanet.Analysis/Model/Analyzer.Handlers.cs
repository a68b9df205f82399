using System.Collections.Frozen;
using Alkanet.Analysis.Events;
using Alkanet.Core.Records;

namespace Alkanet.Analysis.Model;

public sealed partial class Analyzer
{
    /// <summary>The Linux calls the analysis reads: each must be one Alkanet's tracer decodes (Core's
    /// <see cref="LinuxDecodedCalls"/>, checked by a test), so the fields read here are in the logs. Declared before
    /// <see cref="Handlers"/>, which includes them (static fields initialise in order).</summary>
    internal static readonly FrozenDictionary<string, Action<Analyzer, CallEvent, ProcessNode>> LinuxHandlers =
        new Dictionary<string, Action<Analyzer, CallEvent, ProcessNode>>(StringComparer.Ordinal)
        {
            ["clone"] = LxClone,
            ["clone3"] = LxClone,
            ["fork"] = LxClone,
            ["vfork"] = LxClone,
            ["execve"] = LxExecve,
            ["execveat"] = LxExecve,
            ["exit_group"] = LxExit,
            ["open"] = LxOpen,
            ["openat"] = LxOpen,
            ["openat2"] = LxOpen,
            ["creat"] = LxOpen,
            ["close"] = LxClose,
            ["write"] = LxWrite,
            ["pwrite64"] = LxWrite,
            ["writev"] = LxWrite,
            ["pwritev"] = LxWrite,
            ["pwritev2"] = LxWrite,
            ["unlink"] = LxUnlink,
            ["unlinkat"] = LxUnlink,
            ["rename"] = LxRename,
            ["renameat"] = LxRename,
            ["renameat2"] = LxRename,
            ["chmod"] = LxChmod,
            ["fchmodat"] = LxChmod,
            ["fchmod"] = LxChmod,
            ["socket"] = LxSocket,
            ["connect"] = LxConnect,
            ["sendto"] = LxConnect,
            ["bind"] = LxBind,
            ["ptrace"] = LxPtrace,
            ["process_vm_writev"] = LxVmWrite,
            ["prctl"] = LxPrctl,
            ["memfd_create"] = LxMemfd,
            ["init_module"] = LxModule,
            ["finit_module"] = LxModule,
            ["nanosleep"] = LxSleep,
            ["clock_nanosleep"] = LxSleep,
        }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The calls the analysis reads, Windows and Linux, by name. Every other call is only counted.</summary>
    private static readonly FrozenDictionary<string, Action<Analyzer, CallEvent, ProcessNode>> Handlers =
        new Dictionary<string, Action<Analyzer, CallEvent, ProcessNode>>(StringComparer.Ordinal)
        {
            // Windows: processes and threads
            ["NtCreateUserProcess"] = WinCreateProcess,
            ["NtCreateProcessEx"] = WinCreateProcess,
            ["NtCreateProcess"] = WinCreateProcess,
            ["NtOpenProcess"] = WinOpenProcess,
            ["NtOpenThread"] = WinOpenThread,
            ["NtAllocateVirtualMemory"] = WinAllocate,
            ["NtAllocateVirtualMemoryEx"] = WinAllocate,
            ["NtWriteVirtualMemory"] = WinWrite,
            ["NtProtectVirtualMemory"] = WinProtect,
            ["NtMapViewOfSection"] = WinMapView,
            ["NtMapViewOfSectionEx"] = WinMapView,
            ["NtUnmapViewOfSection"] = WinUnmapView,
            ["NtUnmapViewOfSectionEx"] = WinUnmapView,
            ["NtCreateThreadEx"] = WinCreateThread,
            ["NtCreateThread"] = WinCreateThread,
            ["NtQueueApcThread"] = WinQueueApc,
            ["NtQueueApcThreadEx"] = WinQueueApc,
            ["NtQueueApcThreadEx2"] = WinQueueApc,
            ["NtSetContextThread"] = WinSetContext,
            ["NtResumeThread"] = WinResumeThread,
            ["NtSuspendThread"] = WinSuspendThread,
            ["NtAlertResumeThread"] = WinResumeThread,
            ["NtTerminateProcess"] = WinTerminateProcess,
            ["NtClose"] = WinClose,
            ["NtCreateSection"] = WinCreateSection,
            ["NtOpenSection"] = WinCreateSection,
            // Windows: files, registry, objects
            ["NtCreateFile"] = WinCreateFile,
            ["NtOpenFile"] = WinCreateFile,
            ["NtWriteFile"] = WinWriteFile,
            ["NtWriteFileGather"] = WinWriteFile,
            ["NtDeleteFile"] = WinDeleteFile,
            ["NtSetInformationFile"] = WinSetInformationFile,
            ["NtCreateKey"] = WinOpenKey,
            ["NtOpenKey"] = WinOpenKey,
            ["NtOpenKeyEx"] = WinOpenKey,
            ["NtSetValueKey"] = WinSetValue,
            ["NtQueryValueKey"] = WinQueryValue,
            ["NtDeleteKey"] = WinDeleteKey,
            ["NtDeleteValueKey"] = WinDeleteKey,
            ["NtCreateMutant"] = WinCreateMutant,
            ["NtLoadDriver"] = WinLoadDriver,
            ["NtDelayExecution"] = WinDelay,
            ["NtQueryInformationProcess"] = WinQueryInformation,
            ["NtSetInformationThread"] = WinQueryInformation,
            ["NtQueryInformationThread"] = WinQueryInformation,
            ["NtQuerySystemInformation"] = WinQueryInformation,
            ["NtQuerySystemInformationEx"] = WinQueryInformation,
            ["NtDeviceIoControlFile"] = WinDeviceIo,
        }.Concat(LinuxHandlers).ToFrozenDictionary(StringComparer.Ordinal);
}
