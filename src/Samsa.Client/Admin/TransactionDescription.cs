using Samsa.Protocol;

namespace Samsa.Client.Admin;

/// <summary>A transactional id as DescribeTransactions reports it; <see cref="StartTimeMs"/> is -1 when no transaction is open.</summary>
public sealed record TransactionDescription(string TransactionalId, string State, long ProducerId, short ProducerEpoch, int TimeoutMs,
    long StartTimeMs, IReadOnlyList<TopicPartition> Partitions);

/// <summary>A transactional id as ListTransactions reports it.</summary>
public sealed record TransactionListing(string TransactionalId, long ProducerId, string State);
