using System.Text.Json.Nodes;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Symbols.Compression;
using Alkanet.Introspection.Syscalls;

namespace Alkanet.Introspection.TestKit;

/// <summary>Service tables and symbol tables of builds other than the release's: what a cumulative update does to a
/// kernel (a call inserted at a number, everything after it shifted by one; its routine added to the kernel).</summary>
public static class ServiceTableLayouts
{
    /// <summary>Where <see cref="WithRoutine"/> places an added routine: inside the image the synthetic guest maps
    /// (at least 10 MiB), where no symbol the guest writes lies.</summary>
    public const ulong AddedRoutineRva = 0x9E_F000;

    /// <summary><paramref name="table"/> with <paramref name="name"/> at <paramref name="number"/> and every call from
    /// that number on one higher (19041's later updates insert NtCopyFileChunk at 163 so).</summary>
    public static SyscallTable Inserted(SyscallTable table, string name, uint number) =>
        new(table.Os, $"{table.Release} with {name} at {number}", table.Build, table.Kind,
            table.Calls().Select(c => new KeyValuePair<string, uint>(c.Name, c.Number >= number ? c.Number + 1 : c.Number))
                .Append(new(name, number)));

    /// <summary>The ISF as JSON with a routine symbol added at <paramref name="rva"/> (a kernel build that has it).</summary>
    public static byte[] WithRoutine(IsfFile isf, string name, ulong rva = AddedRoutineRva)
    {
        var json = JsonNode.Parse(Json(isf))!.AsObject();
        json["symbols"]![name] = new JsonObject { ["address"] = rva };
        return System.Text.Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    /// <summary>The JSON text of a file-backed or embedded ISF.</summary>
    private static byte[] Json(IsfFile isf)
    {
        byte[] bytes;
        if (isf.Source.StartsWith("embedded:", StringComparison.Ordinal))
        {
            using var stream = typeof(ProfileStore).Assembly.GetManifestResourceStream("Alkanet.Windows.Symbols." + isf.Source["embedded:".Length..])
                ?? throw new InvalidOperationException($"{isf.Source} is not an embedded resource");
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            bytes = ms.ToArray();
        }
        else bytes = File.ReadAllBytes(isf.Source);
        return XzDecoder.IsXz(bytes) ? XzDecoder.Decompress(bytes) : bytes;
    }
}
