using System.Net.Sockets;
using Samsa.Protocol;

namespace Samsa.Broker.Network;

/// <summary>
/// Sends one serialized response whose records are spliced in from segment files: the buffer pieces between the
/// splices and each file range, in order, in one SendPackets operation (sendfile(2) for the file ranges on Linux).
/// One per connection, reused for every such response. Not thread-safe: the connection's loop sends one response
/// at a time.
/// </summary>
internal sealed class SpliceSender : IDisposable
{
    private readonly Socket _socket;
    private readonly SocketAsyncEventArgs _args = new();
    private readonly List<SendPacketsElement> _elements = new();
    private TaskCompletionSource? _pending;

    public SpliceSender(Socket socket)
    {
        _socket = socket;
        _args.Completed += static (_, args) => ((SpliceSender)args.UserToken!).Complete();
        _args.UserToken = this;
    }

    /// <summary>
    /// Sends <paramref name="buffer"/>[0..<paramref name="length"/>] with each splice's records inserted after the
    /// buffer's first 4 + <see cref="RecordsSplice.Position"/> bytes (the 4 being the size prefix before the message).
    /// </summary>
    public Task SendAsync(byte[] buffer, int length, List<RecordsSplice> splices)
    {
        _elements.Clear();
        int position = 0;
        foreach (var splice in splices)
        {
            int at = 4 + splice.Position;
            if (at > position)
            {
                _elements.Add(new SendPacketsElement(buffer, position, at - position));
            }
            if (splice.Length > 0)
            {
                _elements.Add(((FileSliceRecords)splice.Records).CreateSendElement(splice.Start, splice.Length));
            }
            position = at;
        }
        if (length > position)
        {
            _elements.Add(new SendPacketsElement(buffer, position, length - position));
        }

        _args.SendPacketsElements = [.. _elements];
        _pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = _pending.Task;
        if (!_socket.SendPacketsAsync(_args))
        {
            Complete();
        }
        return pending;
    }

    private void Complete()
    {
        var pending = _pending!;
        _pending = null;
        if (_args.SocketError == SocketError.Success)
        {
            pending.TrySetResult();
        }
        else
        {
            pending.TrySetException(new SocketException((int)_args.SocketError));
        }
    }

    public void Dispose()
    {
        _args.SendPacketsElements = null;
        _args.Dispose();
    }
}
