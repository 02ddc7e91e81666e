using System.Net.Sockets;
using Samsa.Protocol;
using Samsa.Storage;

namespace Samsa.Broker.Network;

/// <summary>
/// Records of a fetch response that the connection sends from the segment file with sendfile(2)
/// (<see cref="SendPacketsElement"/> over the file takes that path on Linux), never through managed buffers.
/// The segment keeps its file open for file.delete.delay.ms after it leaves the log, longer than a send takes.
/// Immutable.
/// </summary>
internal sealed class FileSliceRecords : SplicedRecords
{
    public FileSliceRecords(FileSlice slice)
        : base(slice.Length)
    {
        Slice = slice;
    }

    public FileSlice Slice { get; }

    /// <summary>True when the segment's handle was opened for asynchronous use, which the socket's sendfile path requires.</summary>
    public bool CanSendFile => Slice.Handle is { IsAsync: true, IsClosed: false };

    /// <summary>An element that sends <paramref name="length"/> bytes from <paramref name="start"/> within the slice.</summary>
    public SendPacketsElement CreateSendElement(int start, int length)
    {
        // The stream only wraps the segment's handle for the socket: it is never disposed (that would close the
        // segment's file) and must not be finalized for the same reason.
        var stream = new FileStream(Slice.Handle!, FileAccess.Read, bufferSize: 0, isAsync: true);
        GC.SuppressFinalize(stream);
        return new SendPacketsElement(stream, Slice.Position + start, length);
    }
}
