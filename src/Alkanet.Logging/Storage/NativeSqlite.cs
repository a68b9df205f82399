using System.Runtime.InteropServices;

namespace Alkanet.Logging.Storage;

/// <summary>
/// Direct calls into the bundled e_sqlite3 for the record insert, the one hot loop of the logger: SQLitePCLRaw's
/// calls go through a provider interface and a SafeHandle add-ref/release each, which cost about as much as
/// the bind itself at ~10 calls per row. The statement stays owned (and finalized) by SQLitePCLRaw.
/// </summary>
internal static partial class NativeSqlite
{
    private const string Lib = "e_sqlite3";

    [LibraryImport(Lib, EntryPoint = "sqlite3_bind_int64")]
    [SuppressGCTransition]
    internal static partial int BindInt64(IntPtr stmt, int index, long value);

    [LibraryImport(Lib, EntryPoint = "sqlite3_bind_null")]
    [SuppressGCTransition]
    internal static partial int BindNull(IntPtr stmt, int index);

    [LibraryImport(Lib, EntryPoint = "sqlite3_step")]
    internal static partial int Step(IntPtr stmt);

    [LibraryImport(Lib, EntryPoint = "sqlite3_reset")]
    [SuppressGCTransition]
    internal static partial int Reset(IntPtr stmt);
}
