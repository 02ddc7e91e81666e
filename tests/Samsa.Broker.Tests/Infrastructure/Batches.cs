using System.Text;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Tests.Infrastructure;

/// <summary>Record batches for tests, built with the record batch builder.</summary>
internal static class Batches
{
    public static byte[] Build(int count, string prefix = "value", long timestamp = 1_700_000_000_000)
    {
        using var builder = new RecordBatchBuilder();
        for (int i = 0; i < count; i++)
        {
            builder.Append(timestamp + i, Encoding.UTF8.GetBytes($"key-{i}"), Encoding.UTF8.GetBytes($"{prefix}-{i}"));
        }
        return builder.ToArray();
    }
}
