using System.Text;
using Samsa.Client.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Client.Tests.Infrastructure;

/// <summary>Reads a whole partition with plain Fetch requests, so producer tests do not depend on the consumer.</summary>
internal static class RawFetch
{
    public static async Task<List<(string? Key, string? Value, string? Header)>> ReadAllAsync(string bootstrap, string topic, int partition)
    {
        await using var connection = await KafkaConnection.ConnectAsync(bootstrap);
        var result = new List<(string?, string?, string?)>();
        long offset = 0;
        while (true)
        {
            var request = new FetchRequest { MaxWaitMs = 0, MinBytes = 1, MaxBytes = 64 << 20 };
            request.Topics.Add(new FetchRequest.FetchTopic
            {
                Topic = topic,
                Partitions = { new FetchRequest.FetchPartition { Partition = partition, FetchOffset = offset, PartitionMaxBytes = 16 << 20 } },
            });
            var response = await connection.SendAsync<FetchResponse>(request, 11);
            var data = response.Responses.Single().Partitions.Single();
            Assert.Equal(0, data.ErrorCode);
            var bytes = data.Records ?? ReadOnlyMemory<byte>.Empty;
            int before = result.Count;
            int position = 0;
            while (RecordBatchHeader.TryRead(bytes.Span[position..], out var header) && position + header.TotalSize <= bytes.Length)
            {
                var batch = bytes.Slice(position, (int)header.TotalSize);
                position += (int)header.TotalSize;
                var plain = header.Compression == CompressionType.None ? batch.ToArray() : RecordBatchCompression.Decompress(batch);
                if (header.IsControl)
                {
                    offset = header.BaseOffset + header.LastOffsetDelta + 1;
                    continue;
                }
                foreach (var record in RecordReader.FromBatch(plain))
                {
                    long recordOffset = header.BaseOffset + record.OffsetDelta;
                    if (recordOffset < offset)
                    {
                        continue;
                    }
                    string? headerValue = null;
                    foreach (var h in record.Headers)
                    {
                        headerValue = h.IsValueNull ? null : Encoding.UTF8.GetString(h.Value);
                    }
                    result.Add((record.IsKeyNull ? null : Encoding.UTF8.GetString(record.Key), record.IsValueNull ? null : Encoding.UTF8.GetString(record.Value), headerValue));
                    offset = recordOffset + 1;
                }
            }
            if (result.Count == before && offset >= data.HighWatermark)
            {
                return result;
            }
        }
    }
}
