using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Samsa.Storage;

/// <summary>
/// Writes a segment file's data to disk. <see cref="DataSync"/> is <c>fdatasync(2)</c> on Linux: it skips the
/// inode's timestamps but still writes the file size an append changed, so appended bytes are as durable as after
/// <c>fsync(2)</c> (which <see cref="RandomAccess.FlushToDisk"/> calls). Elsewhere it falls back to
/// <see cref="RandomAccess.FlushToDisk"/>. Stateless; thread-safe.
/// </summary>
public static partial class FileSync
{
    /// <summary>Makes every byte written to <paramref name="file"/> durable; throws <see cref="IOException"/> on failure.</summary>
    public static void DataSync(SafeFileHandle file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(file);
            return;
        }

        ObjectDisposedException.ThrowIf(file.IsClosed, file);
        if (FDataSync(file) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"fdatasync failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
        }
    }

    /// <summary>fsync(2): <see cref="RandomAccess.FlushToDisk"/>.</summary>
    public static void FullSync(SafeFileHandle file) => RandomAccess.FlushToDisk(file);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(SafeFileHandle fd);
}
