using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alkanet.Analysis.Exports;

/// <summary>
/// STIX 2.1 identifiers (STIX 2.1 specification, section 2.9): an object type, "--" and a UUID. A cyber-observable with
/// ID-contributing properties gets a UUIDv5 in the STIX namespace <c>00abedb4-aa42-466c-9c01-fed23315a9b7</c> over the
/// canonical JSON of those properties, so the same file, domain or address has the same id in every bundle (and TIPs
/// deduplicate them); other objects get a random UUIDv4.
/// </summary>
internal static class StixIds
{
    private static readonly Guid StixNamespace = new("00abedb4-aa42-466c-9c01-fed23315a9b7");

    public static string Random(string type) => $"{type}--{Guid.NewGuid():D}";

    /// <summary>The UUIDv5 id of an observable whose ID-contributing properties are <paramref name="contributing"/>.</summary>
    public static string Of(string type, JsonObject contributing) => $"{type}--{UuidV5(StixNamespace, Canonical(contributing)):D}";

    /// <summary>RFC 4122 section 4.3: SHA-1 over the namespace's bytes (network order) and the name, version 5, variant 10.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "RFC 4122 defines UUIDv5 with SHA-1; an identifier")]
    public static Guid UuidV5(Guid ns, string name)
    {
        Span<byte> space = stackalloc byte[16];
        ns.TryWriteBytes(space, bigEndian: true, out _);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        space.CopyTo(input);
        nameBytes.CopyTo(input, 16);
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(input, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>Keys sorted (ordinal), no whitespace, strings with minimal escaping: the JSON Canonicalization Scheme's
    /// (RFC 8785) form for the strings, integers and objects these properties hold.</summary>
    public static string Canonical(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                sb.Append('{');
                var first = true;
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first) sb.Append(',');
                    first = false;
                    sb.Append(JsonSerializer.Serialize(k, Relaxed)).Append(':');
                    Write(sb, v);
                }
                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Write(sb, a[i]);
                }
                sb.Append(']');
                break;
            default:
                sb.Append(node is null ? "null" : node.ToJsonString(Relaxed));
                break;
        }
    }

    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
