using System.Runtime.InteropServices;

namespace Samsa.Storage;

/// <summary>
/// fsync of a directory, so that a rename or a new file inside it survives a power loss. .NET cannot open a
/// directory as a file, so this calls open(2)/fsync(2)/close(2) directly; on Windows it does nothing (NTFS
/// journals metadata). Thread-safe.
/// </summary>
public static partial class DirectorySync
{
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY on Linux

    /// <summary>Flushes <paramref name="directory"/>'s entries to disk; throws <see cref="IOException"/> on failure.</summary>
    public static void Sync(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        int flags = OperatingSystem.IsLinux() ? ReadOnlyDirectory : 0;
        int fd = Open(directory, flags);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {directory} to fsync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
