namespace Alkanet.Analysis.Exports;

/// <summary>A guest path's file name and folder, for either separator (Linux and Windows paths both reach the exports).</summary>
internal static class ExportPaths
{
    public static string FileName(string path)
    {
        var cut = path.LastIndexOfAny(['/', '\\']);
        return cut >= 0 && cut < path.Length - 1 ? path[(cut + 1)..] : path;
    }

    /// <summary>The folder ("/" for a file at the root); null when the path names none.</summary>
    public static string? Folder(string path)
    {
        var cut = path.LastIndexOfAny(['/', '\\']);
        return cut > 0 ? path[..cut] : cut == 0 ? path[..1] : null;
    }
}
