namespace Samsa.Broker.Config;

/// <summary>The final compression of a topic's batches: <c>compression.type</c>.</summary>
public enum BrokerCompressionType
{
    /// <summary><c>producer</c>: keep the batches as the producer compressed them.</summary>
    Producer = 0,

    /// <summary><c>uncompressed</c>.</summary>
    Uncompressed = 1,

    /// <summary><c>gzip</c>.</summary>
    Gzip = 2,

    /// <summary><c>snappy</c>.</summary>
    Snappy = 3,

    /// <summary><c>lz4</c>.</summary>
    Lz4 = 4,

    /// <summary><c>zstd</c>.</summary>
    Zstd = 5,
}
