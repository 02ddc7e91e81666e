using Samsa.Client.Config;
using Samsa.Protocol.Records;

namespace Samsa.Client.Producer;

/// <summary>A producer's checked settings. Immutable.</summary>
internal sealed record ProducerSettings
{
    public required short Acks { get; init; }

    public required int LingerMs { get; init; }

    public required int BatchSize { get; init; }

    public required long BufferMemory { get; init; }

    public required int MaxBlockMs { get; init; }

    public required CompressionType Compression { get; init; }

    public required int DeliveryTimeoutMs { get; init; }

    public required int Retries { get; init; }

    public required int RetryBackoffMs { get; init; }

    public required int MaxInFlight { get; init; }

    public required int MaxRequestSize { get; init; }

    public required int RequestTimeoutMs { get; init; }

    public required bool Idempotent { get; init; }

    public string? TransactionalId { get; init; }

    public required int TransactionTimeoutMs { get; init; }

    /// <summary>
    /// Checks the combination as the Java client does: idempotence needs acks=all, retries and at most 5 requests in
    /// flight; when it was not asked for explicitly, a conflicting setting turns it off instead of failing.
    /// A transactional.id needs idempotence.
    /// </summary>
    public static ProducerSettings From(ProducerConfig config, ResolvedConfig resolved)
    {
        short acks = resolved.String("acks") switch { "0" => 0, "1" => 1, _ => -1 };
        int retries = resolved.Int("retries");
        int maxInFlight = resolved.Int("max.in.flight.requests.per.connection");
        string? transactionalId = resolved.String("transactional.id");
        bool explicitIdempotence = config.Get("enable.idempotence") is not null;
        bool idempotent = resolved.Bool("enable.idempotence");
        if (idempotent && (acks != -1 || retries == 0 || maxInFlight > 5))
        {
            if (explicitIdempotence || transactionalId is not null)
            {
                string why = acks != -1 ? "\"acks\" must be all" : retries == 0 ? "\"retries\" must be above 0" : "\"max.in.flight.requests.per.connection\" must be at most 5";
                throw new ArgumentException($"configuration property \"enable.idempotence\" is true but {why}");
            }
            idempotent = false;
        }
        if (transactionalId is not null && !idempotent)
        {
            throw new ArgumentException("configuration property \"transactional.id\" needs \"enable.idempotence\" true");
        }
        var compression = Enum.Parse<CompressionType>(resolved.String("compression.type")!, ignoreCase: true);
        if (compression != CompressionType.None)
        {
            Protocol.Compression.CompressionCodec.EnsureAvailable(compression);
        }
        return new ProducerSettings
        {
            Acks = acks,
            LingerMs = resolved.Int("linger.ms"),
            BatchSize = resolved.Int("batch.size"),
            BufferMemory = resolved.Long("buffer.memory"),
            MaxBlockMs = resolved.Int("max.block.ms"),
            Compression = compression,
            DeliveryTimeoutMs = resolved.Int("delivery.timeout.ms"),
            Retries = retries,
            RetryBackoffMs = resolved.Int("retry.backoff.ms"),
            MaxInFlight = maxInFlight,
            MaxRequestSize = resolved.Int("max.request.size"),
            RequestTimeoutMs = resolved.Int("request.timeout.ms"),
            Idempotent = idempotent,
            TransactionalId = transactionalId,
            TransactionTimeoutMs = resolved.Int("transaction.timeout.ms"),
        };
    }
}
