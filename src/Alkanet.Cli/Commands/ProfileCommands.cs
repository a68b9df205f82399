using System.CommandLine;
using System.Text.Json;
using Alkanet.Introspection.Symbols;
using Alkanet.Introspection.Windows;

namespace Alkanet.Cli.Commands;

/// <summary><c>alkanet profile list|show|import</c>: the kernel symbol tables (Volatility 3 ISF files) the tool knows.</summary>
internal static class ProfileCommands
{
    public static Command Create()
    {
        var profile = new Command("profile",
            "Kernel symbol tables (Volatility 3 ISF, .json or .json.xz): list, show what the tool uses from one, import a new build's.");
        profile.Add(List());
        profile.Add(Show());
        profile.Add(Import());
        return profile;
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON for scripts." };

    private static Command List()
    {
        var json = JsonOption();
        var cmd = new Command("list",
            "List the profiles: the user's folder ($ALKANET_PROFILES or ~/.local/share/alkanet/profiles) and the embedded default.") { json };
        cmd.SetAction(parse =>
        {
            var store = new ProfileStore();
            var output = parse.InvocationConfiguration.Output;
            var entries = store.List();
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonText(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("folder", store.UserFolder);
                    w.WriteStartArray("profiles");
                    foreach (var e in entries)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", e.Name);
                        w.WriteString("source", e.Source);
                        w.WriteBoolean("embedded", e.Embedded);
                        if (e.Pdb is { } id) { w.WriteString("pdb", id.Database); w.WriteString("guid", id.Guid); w.WriteNumber("age", id.Age); }
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                }));
                return ExitCodes.Ok;
            }
            output.WriteLine($"user folder: {store.UserFolder}");
            foreach (var e in entries)
                output.WriteLine($"{(e.Embedded ? "embedded" : "user"),-9} {e.Pdb?.ToString() ?? "(identity from metadata)",-52} {e.Source}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Show()
    {
        var which = new Argument<string?>("PROFILE")
        {
            Description = "A profile name from 'profile list', a PDB GUID (with or without age), or an ISF file path; default: the embedded one.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var json = JsonOption();
        var cmd = new Command("show", "Show the structure offsets and symbols the tool uses from a profile, and which are missing.") { which, json };
        cmd.SetAction(parse =>
        {
            var isf = Resolve(parse.GetValue(which));
            var profile = new WindowsProfile(isf);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonText(w => WindowsProfileSummary.WriteJson(w, isf, profile)));
                return ExitCodes.Ok;
            }
            WindowsProfileSummary.WriteText(output, isf, profile);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Import()
    {
        var file = new Argument<string>("FILE") { Description = "An ISF file (.json or .json.xz), e.g. from volatility3's pdbconv." };
        var json = JsonOption();
        var cmd = new Command("import", "Check an ISF file and copy it into the user's profile folder, named by its PDB identity.") { file, json };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path)) throw new CommandFailedException($"{path}: no such file");
            var store = new ProfileStore();
            string target;
            IsfFile isf;
            try
            {
                target = store.Import(path);
                isf = IsfFile.Load(target);
            }
            catch (InvalidDataException ex)
            {
                throw new CommandFailedException(ex.Message, ex);
            }
            var missing = new WindowsProfile(isf).Missing;
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonText(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("path", target);
                    if (isf.Pdb is { } id) { w.WriteString("guid", id.Guid); w.WriteNumber("age", id.Age); }
                    w.WriteStartArray("missing");
                    foreach (var m in missing) w.WriteStringValue(m);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }));
            }
            else
            {
                output.WriteLine($"imported {isf.Pdb?.ToString() ?? "(no PDB identity)"} as {target}");
                if (missing.Count > 0)
                    output.WriteLine($"warning: the table lacks {missing.Count} names the Windows decoders use: {string.Join(", ", missing)}");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>A profile by list name, PDB GUID[+age], or file path; the embedded default when null.</summary>
    internal static IsfFile Resolve(string? which)
    {
        var store = new ProfileStore();
        try
        {
            if (string.IsNullOrEmpty(which)) return store.LoadDefault();
            if (File.Exists(which)) return IsfFile.Load(which);
            foreach (var e in store.List())
            {
                if (e.Name == which || e.Pdb is { } id && (string.Equals(id.Guid, which, StringComparison.OrdinalIgnoreCase)
                    || string.Equals(id.Key, which, StringComparison.OrdinalIgnoreCase)
                    || string.Equals($"{id.Guid}-{id.Age}", which, StringComparison.OrdinalIgnoreCase)))
                    return store.Load(e);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new CommandFailedException(ex.Message, ex);
        }
        throw new CommandFailedException($"no profile '{which}': not a file, and not a name or PDB GUID from 'alkanet profile list'");
    }

    internal static string JsonText(Action<Utf8JsonWriter> write)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = false }))
            write(w);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
