using Microsoft.Win32.SafeHandles;

namespace Samsa.Storage;

/// <summary>
/// A run of whole record batches inside one segment file: the file handle, the position of the first byte and
/// the length. The network layer can send it with sendfile(2) or copy it with <see cref="CopyTo"/>.
/// The handle belongs to the segment: it stays valid until the segment is closed or deleted.
/// Immutable; <see cref="CopyTo"/> uses positional reads and is safe while the log is being appended to.
/// </summary>
public readonly struct FileSlice
{
    public FileSlice(SafeFileHandle? handle, long position, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (handle is null && length != 0)
        {
            throw new ArgumentException("A non-empty slice needs a file handle.", nameof(handle));
        }

        Handle = handle;
        Position = position;
        Length = length;
    }

    /// <summary>The segment's file, or null for an empty slice.</summary>
    public SafeFileHandle? Handle { get; }

    public long Position { get; }

    public int Length { get; }

    public bool IsEmpty => Length == 0;

    /// <summary>
    /// Copies up to <see cref="Length"/> bytes into <paramref name="destination"/> and returns how many were copied
    /// (fewer when the destination is shorter, or when the file was truncated meanwhile).
    /// </summary>
    public int CopyTo(Span<byte> destination)
    {
        int wanted = Math.Min(Length, destination.Length);
        int total = 0;
        while (total < wanted)
        {
            int read = RandomAccess.Read(Handle!, destination[total..wanted], Position + total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
