using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;

namespace Samsa.Storage;

/// <summary>Where and why a segment's batches stop being valid, found by <see cref="SegmentValidator"/>.</summary>
/// <param name="Position">The start of the first bad batch (or of the partial header at the end).</param>
/// <param name="Reason">What is wrong with it.</param>
/// <param name="NextValidBatchPosition">
/// The position of a whole, CRC-valid batch after the damage, with offsets above the last good batch, or -1:
/// when there is one, the damage is a corrupt batch in the middle of the segment rather than a torn tail.
/// </param>
internal readonly record struct SegmentDamage(long Position, string Reason, long NextValidBatchPosition)
{
    public bool HasValidBatchesAfter => NextValidBatchPosition >= 0;
}

/// <summary>
/// The read-only check of a segment's <c>.log</c> file that crash recovery runs before it truncates anything, so it
/// can report where and why the data went bad: a sequential scan through one pooled 4 MiB buffer that checks each
/// batch's framing (magic, length within the file), offset order and CRC-32C (computed over the buffer's spans,
/// continued across refills, so a batch of any size costs no extra memory). It applies the same rules as
/// <see cref="LogSegment.Recover"/>. Stateless; thread-safe.
/// </summary>
internal static class SegmentValidator
{
    private const int BufferSize = 4 << 20;

    /// <summary>How far past the damage a resynchronising search for a valid batch looks, byte by byte.</summary>
    private const int ResyncWindow = 1 << 20;

    /// <summary>
    /// Scans the first <paramref name="fileSize"/> bytes of the segment file and returns the first damage, or null when
    /// the file is whole batches in offset order with valid CRCs.
    /// </summary>
    public static SegmentDamage? FindFirstDamage(SafeFileHandle handle, long baseOffset, long fileSize)
    {
        using var reader = new SequentialReader(handle, fileSize, BufferSize);
        long position = 0;
        long nextOffset = baseOffset;
        while (position < fileSize)
        {
            string? reason = CheckBatch(reader, position, baseOffset, nextOffset, out RecordBatchHeader header);
            if (reason is not null)
            {
                return new SegmentDamage(position, reason, FindNextValidBatch(reader, position, baseOffset, nextOffset, header));
            }

            nextOffset = header.NextOffset;
            position += header.TotalSize;
        }

        return null;
    }

    /// <summary>Null when a whole valid batch starts at <paramref name="position"/>, else why not.</summary>
    private static string? CheckBatch(SequentialReader reader, long position, long baseOffset, long nextOffset, out RecordBatchHeader header)
    {
        header = default;
        long remaining = reader.FileSize - position;
        if (remaining < RecordBatchHeader.HeaderSize)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the last {remaining} bytes are too short for a batch header");
        }

        RecordBatchHeader.TryRead(reader.Get(position, RecordBatchHeader.HeaderSize), out header);
        if (header.Magic != RecordBatchHeader.CurrentMagic)
        {
            return string.Create(CultureInfo.InvariantCulture, $"magic byte {header.Magic}, not {RecordBatchHeader.CurrentMagic}");
        }

        if (header.BatchLength < RecordBatchHeader.MinBatchLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"batch length {header.BatchLength} is below the minimum {RecordBatchHeader.MinBatchLength}");
        }

        if (header.TotalSize > remaining)
        {
            return string.Create(CultureInfo.InvariantCulture, $"batch length {header.BatchLength} runs past the end of the file ({remaining} bytes left)");
        }

        if (position + header.TotalSize > int.MaxValue)
        {
            return "the batch ends past 2 GiB";
        }

        if (header.BaseOffset < nextOffset)
        {
            return string.Create(CultureInfo.InvariantCulture, $"base offset {header.BaseOffset} is below {nextOffset}, the offset after the previous batch");
        }

        if (header.LastOffsetDelta < 0 || header.LastOffset - baseOffset > int.MaxValue)
        {
            return string.Create(CultureInfo.InvariantCulture, $"last offset delta {header.LastOffsetDelta} is invalid");
        }

        uint computed = CrcOf(reader, position, header.TotalSize);
        if (computed != header.Crc)
        {
            return string.Create(CultureInfo.InvariantCulture, $"CRC mismatch (stored 0x{header.Crc:x8}, computed 0x{computed:x8})");
        }

        return null;
    }

    /// <summary>The CRC-32C of the batch at <paramref name="position"/> from Attributes to its end, chunk by chunk.</summary>
    private static uint CrcOf(SequentialReader reader, long position, long totalSize)
    {
        uint crc = uint.MaxValue;
        long at = position + RecordBatchHeader.AttributesOffset;
        long end = position + totalSize;
        while (at < end)
        {
            int count = (int)Math.Min(end - at, BufferSize);
            crc = Crc32C.Update(crc, reader.Get(at, count));
            at += count;
        }

        return ~crc;
    }

    /// <summary>
    /// Looks for a valid batch after the bad one: first where the bad batch's own length says the next one starts,
    /// then byte by byte through the next <see cref="ResyncWindow"/> bytes.
    /// </summary>
    private static long FindNextValidBatch(SequentialReader reader, long badPosition, long baseOffset, long nextOffset, RecordBatchHeader badHeader)
    {
        if (badHeader.BatchLength >= RecordBatchHeader.MinBatchLength
            && badHeader.TotalSize <= reader.FileSize - badPosition
            && CheckBatch(reader, badPosition + badHeader.TotalSize, baseOffset, nextOffset, out _) is null)
        {
            return badPosition + badHeader.TotalSize;
        }

        long last = Math.Min(reader.FileSize - RecordBatchHeader.HeaderSize, badPosition + ResyncWindow);
        for (long candidate = badPosition + 1; candidate <= last; candidate++)
        {
            if (reader.Get(candidate, RecordBatchHeader.HeaderSize)[RecordBatchHeader.MagicOffset] == RecordBatchHeader.CurrentMagic
                && CheckBatch(reader, candidate, baseOffset, nextOffset, out _) is null)
            {
                return candidate;
            }
        }

        return -1;
    }

    /// <summary>Reads a file front to back through one pooled buffer; <see cref="Get"/> refills it as needed.</summary>
    private sealed class SequentialReader : IDisposable
    {
        private readonly SafeFileHandle _handle;
        private byte[] _buffer;
        private long _bufferStart;
        private int _bufferLength;

        public SequentialReader(SafeFileHandle handle, long fileSize, int bufferSize)
        {
            _handle = handle;
            FileSize = fileSize;
            _buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(fileSize, RecordBatchHeader.HeaderSize, bufferSize));
        }

        public long FileSize { get; }

        /// <summary>
        /// The <paramref name="count"/> bytes at <paramref name="position"/> (at most the buffer's size, within the file).
        /// </summary>
        public ReadOnlySpan<byte> Get(long position, int count)
        {
            if (position < _bufferStart || position + count > _bufferStart + _bufferLength)
            {
                int wanted = (int)Math.Min(_buffer.Length, FileSize - position);
                int total = 0;
                while (total < wanted)
                {
                    int read = RandomAccess.Read(_handle, _buffer.AsSpan(total, wanted - total), position + total);
                    if (read == 0)
                    {
                        throw new IOException($"The segment file ended at {position + total}, before its expected size {FileSize}.");
                    }

                    total += read;
                }

                _bufferStart = position;
                _bufferLength = total;
            }

            return _buffer.AsSpan((int)(position - _bufferStart), count);
        }

        public void Dispose()
        {
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }
        }
    }
}
