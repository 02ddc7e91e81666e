using System.Collections;
using System.Runtime.InteropServices;
using System.Text;
using Samsa.Protocol.Records;

namespace Samsa.Client;

/// <summary>A record's headers, in order; keys may repeat. Not thread-safe.</summary>
public sealed class Headers : IEnumerable<RecordHeader>
{
    private readonly List<RecordHeader> _headers = [];

    public int Count => _headers.Count;

    public RecordHeader this[int index] => _headers[index];

    public void Add(string key, byte[]? value) => _headers.Add(new RecordHeader(key, value));

    public void Add(RecordHeader header) => _headers.Add(header);

    /// <summary>The value of the last header with this key.</summary>
    public bool TryGetLastBytes(string key, out byte[]? value)
    {
        for (int i = _headers.Count - 1; i >= 0; i--)
        {
            if (_headers[i].Key == key)
            {
                value = _headers[i].Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    public byte[]? GetLastBytes(string key) =>
        TryGetLastBytes(key, out var value) ? value : throw new KeyNotFoundException($"no header '{key}'");

    public void Remove(string key) => _headers.RemoveAll(h => h.Key == key);

    /// <summary>The headers as a span, for writing them without a copy.</summary>
    public ReadOnlySpan<RecordHeader> AsSpan() => CollectionsMarshal.AsSpan(_headers);

    public IEnumerator<RecordHeader> GetEnumerator() => _headers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() =>
        string.Join(",", _headers.Select(h => h.Key + "=" + (h.Value is null ? "null" : Encoding.UTF8.GetString(h.Value))));
}
