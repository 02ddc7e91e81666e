using System.Buffers.Binary;

namespace Samsa.Storage;

/// <summary>
/// An aborted transaction of one producer: its data runs from <paramref name="FirstOffset"/> to the ABORT marker at
/// <paramref name="LastOffset"/>; <paramref name="LastStableOffset"/> is the partition's last stable offset just after
/// the marker was written (a read_committed lookup that meets an entry with LSO at or past its upper bound can stop).
/// </summary>
public readonly record struct AbortedTxn(long ProducerId, long FirstOffset, long LastOffset, long LastStableOffset);

/// <summary>
/// The aborted-transaction index of one segment (Kafka's <c>.txnindex</c>): one entry per transaction whose ABORT
/// marker is in the segment, in marker order. Fetches at read_committed return the entries that overlap the data they
/// send, so consumers drop the aborted records.
/// <para>
/// On disk, <c>&lt;baseOffset:D20&gt;.txnindex</c>, created with the first entry: fixed 34-byte entries, big-endian:
/// version int16 (0), producer id int64, first offset int64, last offset int64, last stable offset int64. A torn last
/// entry (a crash mid-write) is ignored on load and cut off by the next append. The entries are also kept in memory
/// (aborts are rare), so lookups never touch the file.
/// </para>
/// Thread-safety: appends, truncation, flush and dispose are serialized by the owning log's lock; <see cref="Entries"/>
/// is an immutable snapshot that readers take without a lock.
/// </summary>
public sealed class TransactionIndex : IDisposable
{
    public const string FileSuffix = ".txnindex";

    /// <summary>Bytes of one entry.</summary>
    public const int EntrySize = 34;

    private const short CurrentVersion = 0;

    private AbortedTxn[] _entries;
    private FileStream? _file;

    private TransactionIndex(string path, AbortedTxn[] entries)
    {
        Path = path;
        _entries = entries;
    }

    public string Path { get; }

    /// <summary>The entries, in marker order (a snapshot).</summary>
    public AbortedTxn[] Entries => Volatile.Read(ref _entries);

    /// <summary>Loads the index of the segment at <paramref name="baseOffset"/>, empty when it has no file.</summary>
    public static TransactionIndex Load(string directory, long baseOffset)
    {
        string path = System.IO.Path.Combine(directory, LogSegment.FileName(baseOffset, FileSuffix));
        if (!File.Exists(path))
        {
            return new TransactionIndex(path, []);
        }

        byte[] bytes = File.ReadAllBytes(path);
        var entries = new List<AbortedTxn>(bytes.Length / EntrySize);
        for (int position = 0; position + EntrySize <= bytes.Length; position += EntrySize)
        {
            ReadOnlySpan<byte> entry = bytes.AsSpan(position, EntrySize);
            if (BinaryPrimitives.ReadInt16BigEndian(entry) != CurrentVersion)
            {
                break;
            }

            entries.Add(new AbortedTxn(
                BinaryPrimitives.ReadInt64BigEndian(entry[2..]),
                BinaryPrimitives.ReadInt64BigEndian(entry[10..]),
                BinaryPrimitives.ReadInt64BigEndian(entry[18..]),
                BinaryPrimitives.ReadInt64BigEndian(entry[26..])));
        }

        return new TransactionIndex(path, [.. entries]);
    }

    /// <summary>Adds an entry (written to the file; fsynced by <see cref="Flush"/>).</summary>
    public void Append(AbortedTxn aborted)
    {
        FileStream file = OpenFile();
        file.Position = (long)_entries.Length * EntrySize;
        Span<byte> entry = stackalloc byte[EntrySize];
        BinaryPrimitives.WriteInt16BigEndian(entry, CurrentVersion);
        BinaryPrimitives.WriteInt64BigEndian(entry[2..], aborted.ProducerId);
        BinaryPrimitives.WriteInt64BigEndian(entry[10..], aborted.FirstOffset);
        BinaryPrimitives.WriteInt64BigEndian(entry[18..], aborted.LastOffset);
        BinaryPrimitives.WriteInt64BigEndian(entry[26..], aborted.LastStableOffset);
        file.Write(entry);
        file.Flush(flushToDisk: false);
        Volatile.Write(ref _entries, [.. _entries, aborted]);
    }

    /// <summary>Drops the entries whose marker is at or above <paramref name="offset"/> (log truncation).</summary>
    public void TruncateTo(long offset)
    {
        AbortedTxn[] entries = _entries;
        int keep = 0;
        while (keep < entries.Length && entries[keep].LastOffset < offset)
        {
            keep++;
        }

        if (keep == entries.Length)
        {
            return;
        }

        Volatile.Write(ref _entries, entries[..keep]);
        if (_file is not null || File.Exists(Path))
        {
            OpenFile().SetLength((long)keep * EntrySize);
        }
    }

    /// <summary>Writes the entries to disk (fsync), when there is a file.</summary>
    public void Flush() => _file?.Flush(flushToDisk: true);

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
    }

    private FileStream OpenFile() =>
        _file ??= new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, bufferSize: 0);
}
