namespace Samsa.Broker.Coordinator.Transaction;

/// <summary>
/// The states of a transactional id, with Kafka's byte values (stored in __transaction_state) and names (reported by
/// DescribeTransactions and ListTransactions).
/// <code>
/// Empty / CompleteCommit / CompleteAbort --AddPartitions--> Ongoing --EndTxn--> PrepareCommit | PrepareAbort
/// PrepareCommit --markers written--> CompleteCommit;  PrepareAbort --markers written--> CompleteAbort
/// Ongoing --timeout or a new InitProducerId--> PrepareAbort (epoch bumped)
/// </code>
/// </summary>
internal enum TransactionState : sbyte
{
    Empty = 0,
    Ongoing = 1,
    PrepareCommit = 2,
    PrepareAbort = 3,
    CompleteCommit = 4,
    CompleteAbort = 5,
    Dead = 6,
    PrepareEpochFence = 7,
}

internal static class TransactionStates
{
    /// <summary>Every state a client may ask about in ListTransactions.</summary>
    public static readonly TransactionState[] All =
    [
        TransactionState.Empty, TransactionState.Ongoing, TransactionState.PrepareCommit, TransactionState.PrepareAbort,
        TransactionState.CompleteCommit, TransactionState.CompleteAbort, TransactionState.Dead, TransactionState.PrepareEpochFence,
    ];

    public static string Name(this TransactionState state) => state switch
    {
        TransactionState.Empty => "Empty",
        TransactionState.Ongoing => "Ongoing",
        TransactionState.PrepareCommit => "PrepareCommit",
        TransactionState.PrepareAbort => "PrepareAbort",
        TransactionState.CompleteCommit => "CompleteCommit",
        TransactionState.CompleteAbort => "CompleteAbort",
        TransactionState.Dead => "Dead",
        TransactionState.PrepareEpochFence => "PrepareEpochFence",
        _ => "Unknown",
    };

    public static bool TryParse(string name, out TransactionState state)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.Name(), name, StringComparison.Ordinal))
            {
                state = candidate;
                return true;
            }
        }
        state = default;
        return false;
    }

    /// <summary>PrepareCommit or PrepareAbort: markers are being written; the transaction cannot change until they are.</summary>
    public static bool IsPrepare(this TransactionState state) => state is TransactionState.PrepareCommit or TransactionState.PrepareAbort;

    /// <summary>Empty, CompleteCommit or CompleteAbort: no transaction is open, a new one may start.</summary>
    public static bool IsIdle(this TransactionState state) =>
        state is TransactionState.Empty or TransactionState.CompleteCommit or TransactionState.CompleteAbort;
}
