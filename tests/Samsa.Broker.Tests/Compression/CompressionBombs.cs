using System.Buffers.Binary;
using System.IO.Compression;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Tests.Compression;

/// <summary>
/// Small record batches whose payloads expand enormously. Each decompresses to one record that claims a value of
/// almost 2 GiB followed by zeros, so a validator has to read far into the stream before anything looks wrong.
/// </summary>
internal static class CompressionBombs
{
    /// <summary>A record header declaring a value of almost 2 GiB (its zero bytes follow in the stream).</summary>
    public static byte[] HugeRecordPrefix()
    {
        const int valueLength = int.MaxValue - 20;
        const int bodyLength = valueLength + 10;
        var prefix = new List<byte>();
        WriteZigZag(prefix, bodyLength);
        prefix.Add(0); // attributes
        prefix.Add(0); // timestamp delta 0
        prefix.Add(0); // offset delta 0
        prefix.Add(1); // key length -1
        WriteZigZag(prefix, valueLength);
        return [.. prefix];
    }

    /// <summary>
    /// A zstd frame built by hand: a raw block with <paramref name="prefix"/>, then RLE blocks of 128 KiB of zeros (4
    /// bytes each) up to <paramref name="totalBytes"/>: 4 GiB from 128 KiB. The frame declares a 1 MiB window.
    /// </summary>
    public static byte[] ZstdFrame(byte[] prefix, long totalBytes)
    {
        const int blockSize = 128 * 1024;
        long blocks = (totalBytes - prefix.Length) / blockSize;
        var frame = new List<byte>((int)(blocks * 4) + prefix.Length + 16);
        frame.AddRange([0x28, 0xB5, 0x2F, 0xFD]); // magic 0xFD2FB528, little-endian
        frame.Add(0x00); // frame header descriptor: no content size, no checksum, no dictionary
        frame.Add(10 << 3); // window descriptor: 2^(10+10) = 1 MiB
        AddBlockHeader(frame, last: false, type: 0, prefix.Length);
        frame.AddRange(prefix);
        for (long i = 0; i < blocks; i++)
        {
            AddBlockHeader(frame, last: i == blocks - 1, type: 1, blockSize);
            frame.Add(0);
        }

        return [.. frame];
    }

    /// <summary>A gzip member of <paramref name="prefix"/> then <paramref name="zeroBytes"/> zeros, at the smallest size.</summary>
    public static byte[] Gzip(byte[] prefix, long zeroBytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(prefix);
            byte[] zeros = new byte[1 << 20];
            for (long written = 0; written < zeroBytes; written += zeros.Length)
            {
                gzip.Write(zeros, 0, (int)Math.Min(zeros.Length, zeroBytes - written));
            }
        }

        return output.ToArray();
    }

    /// <summary>A raw snappy block whose length header claims 4 GiB - 1 but holds one literal byte.</summary>
    public static byte[] SnappyLyingHeader() => [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x41];

    /// <summary>Wraps a hand-made compressed payload in a valid one-record batch header with a correct CRC.</summary>
    public static byte[] Batch(CompressionType codec, byte[] payload, long timestamp)
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(timestamp, null, [0]);
        byte[] template = builder.ToArray();
        var batch = new byte[RecordBatchHeader.HeaderSize + payload.Length];
        template.AsSpan(0, RecordBatchHeader.HeaderSize).CopyTo(batch);
        payload.CopyTo(batch, RecordBatchHeader.HeaderSize);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatchHeader.AttributesOffset), (short)codec);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.BatchLengthOffset), batch.Length - RecordBatchHeader.LogOverhead);
        RecordBatch.WriteCrc(batch);
        return batch;
    }

    /// <summary>Decompressed size of a payload as the native library sees it, up to <paramref name="limit"/>.</summary>
    public static long ExpandedSize(CompressionType codec, byte[] payload, long limit)
    {
        using RecordsDecompressor decompressor = CompressionCodec.CreateDecompressor(codec, payload, limit);
        byte[] chunk = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = decompressor.Read(chunk)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static void AddBlockHeader(List<byte> frame, bool last, int type, int size)
    {
        int header = (last ? 1 : 0) | (type << 1) | (size << 3);
        frame.Add((byte)header);
        frame.Add((byte)(header >> 8));
        frame.Add((byte)(header >> 16));
    }

    private static void WriteZigZag(List<byte> destination, int value)
    {
        uint zigzag = (uint)((value << 1) ^ (value >> 31));
        while (zigzag >= 0x80)
        {
            destination.Add((byte)(zigzag | 0x80));
            zigzag >>= 7;
        }

        destination.Add((byte)zigzag);
    }
}
