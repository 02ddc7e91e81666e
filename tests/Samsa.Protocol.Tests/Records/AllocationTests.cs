using Samsa.Protocol.Records;
using Record = Samsa.Protocol.Records.Record;

namespace Samsa.Protocol.Tests.Records;

public sealed class AllocationTests
{
    private static byte[] BatchOfHundred()
    {
        using var builder = new RecordBatchBuilder();
        for (int i = 0; i < 100; i++)
        {
            builder.Append(1000 + i, [(byte)i, 1, 2], new byte[200], [new RecordHeader("h", [1]), new RecordHeader("n", null)]);
        }

        return builder.ToArray();
    }

    private static long ReadEverything(byte[] batch)
    {
        long sum = 0;
        foreach (Record record in RecordReader.FromBatch(batch))
        {
            sum += record.Key.Length + record.Value.Length + record.OffsetDelta;
            foreach (RecordHeaderView header in record.Headers)
            {
                sum += header.Key.Length + header.Value.Length;
            }
        }

        return sum;
    }

    [Fact]
    public void Reading_and_validating_a_batch_allocates_nothing()
    {
        byte[] batch = BatchOfHundred();
        ReadEverything(batch);
        BatchValidator.ValidateProduceRecords(batch, out _, out _);
        RecordBatch.IsCrcValid(batch);

        long before = GC.GetAllocatedBytesForCurrentThread();
        long sum = ReadEverything(batch);
        ErrorCode error = BatchValidator.ValidateProduceRecords(batch, out _, out int count);
        bool crcValid = RecordBatch.IsCrcValid(batch);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(100, count);
        Assert.True(crcValid);
        Assert.True(sum > 0);
    }
}
