using System.Globalization;
using System.Text;
using Alkanet.Introspection.Hooks;

namespace Alkanet.Introspection.Linux;

/// <summary>Everything the live hook needs to know about one Linux kernel build, derived (never hard-coded)
/// from that kernel: hook sites and current_task from kallsyms, structure offsets from BTF, call names from
/// its sys_call_table. Addresses are link-time (a <c>nokaslr</c> boot); the KASLR slide is found at run time
/// (<see cref="KaslrSlideFinder"/>). Saved as a small "key value" text file the plugin reads at load.</summary>
public sealed class LinuxProfile
{
    public const int FingerprintSkip = 5; // the 5-byte ftrace site (call __fentry__ in the file, a NOP when running)
    public const ulong KaslrAlignment = 0x200000; // CONFIG_PHYSICAL_ALIGN on Debian's kernels
    public const ulong KaslrMaxSlide = 0x40000000; // KERNEL_IMAGE_SIZE: the image stays in the top 1 GiB

    public string KernelRelease { get; set; } = "";

    /// <summary>The hook sites by kind, link-time addresses, each with its fingerprint (the bytes after the ftrace site).</summary>
    public List<LinuxLinkSite> Sites { get; } = [];

    /// <summary>Per-cpu offset of <c>current_task</c>: the running task is <c>*(gs_base + this)</c> in kernel mode.</summary>
    public ulong CurrentTaskPercpu { get; set; }

    /// <summary>Structure member offsets by "struct.member" (e.g. "task_struct.tgid"), from BTF.</summary>
    public Dictionary<string, int> Offsets { get; } = new(StringComparer.Ordinal);

    /// <summary>Structure sizes by name (e.g. "pt_regs"), from BTF.</summary>
    public Dictionary<string, int> Sizes { get; } = new(StringComparer.Ordinal);

    /// <summary>The 64-bit call table (number to name, null for sys_ni_syscall).</summary>
    public LinuxSyscallTable Syscalls64 { get; set; } = new([]);

    /// <summary>The 32-bit (int 0x80) call table.</summary>
    public LinuxSyscallTable Syscalls32 { get; set; } = new([]);

    public int Offset(string structDotMember) =>
        Offsets.TryGetValue(structDotMember, out var o) ? o : throw new KeyNotFoundException($"profile has no offset for {structDotMember}");

    public LinuxLinkSite Site(SiteKind kind) => Sites.First(s => s.Kind == kind);

    public void Save(string path)
    {
        var sb = new StringBuilder();
        sb.Append("# Alkanet Linux profile (derived from the kernel's kallsyms, BTF and sys_call_table)\n");
        sb.Append("release ").Append(KernelRelease).Append('\n');
        sb.Append("current_task ").Append(CurrentTaskPercpu.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
        foreach (var s in Sites)
            sb.Append("site ").Append(LinuxLinkSite.KindName(s.Kind)).Append(' ').Append(s.Symbol).Append(' ').Append(s.LinkAddress.ToString("x",
                CultureInfo.InvariantCulture))
              .Append(' ').Append(Convert.ToHexStringLower(s.Fingerprint)).Append('\n');
        foreach (var kv in Offsets.OrderBy(k => k.Key,
            StringComparer.Ordinal)) sb.Append("offset ").Append(kv.Key).Append(' ').Append(kv.Value).Append('\n');
        foreach (var kv in Sizes.OrderBy(k => k.Key,
            StringComparer.Ordinal)) sb.Append("size ").Append(kv.Key).Append(' ').Append(kv.Value).Append('\n');
        Syscalls64.AppendTo(sb, "sys64");
        Syscalls32.AppendTo(sb, "sys32");
        var tmp = path + ".partial";
        File.WriteAllText(tmp, sb.ToString());
        File.Move(tmp, path, overwrite: true);
    }

    public static LinuxProfile Load(string path)
    {
        var p = new LinuxProfile();
        var names64 = new List<string?>();
        var names32 = new List<string?>();
        var lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            if (raw.Length == 0 || raw[0] == '#') continue;
            var w = raw.Split(' ');
            try
            {
                switch (w[0])
                {
                    case "release": p.KernelRelease = w.Length > 1 ? w[1] : ""; break;
                    case "current_task": p.CurrentTaskPercpu = Hex(w[1]); break;
                    case "site": p.Sites.Add(new LinuxLinkSite(LinuxLinkSite.ParseKind(w[1]), w[2], Hex(w[3]), Convert.FromHexString(w[4]))); break;
                    case "offset": p.Offsets[w[1]] = int.Parse(w[2], CultureInfo.InvariantCulture); break;
                    case "size": p.Sizes[w[1]] = int.Parse(w[2], CultureInfo.InvariantCulture); break;
                    case "sys64": Put(names64, w); break;
                    case "sys32": Put(names32, w); break;
                    default: throw new FormatException($"unknown key '{w[0]}'");
                }
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentException or OverflowException)
            {
                throw new InvalidDataException($"{path}:{lineNo}: {e.Message}", e);
            }
        }
        p.Syscalls64 = new LinuxSyscallTable(names64);
        p.Syscalls32 = new LinuxSyscallTable(names32);
        return p;
    }

    private static void Put(List<string?> names, string[] w)
    {
        var n = int.Parse(w[1], CultureInfo.InvariantCulture);
        if (n is < 0 or > 4096) throw new FormatException($"call number {n} out of range");
        while (names.Count <= n) names.Add(null);
        names[n] = w[2];
    }

    private static ulong Hex(string s) => ulong.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
