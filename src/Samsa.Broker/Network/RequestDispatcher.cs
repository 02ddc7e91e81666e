using Samsa.Broker.Handlers;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Network;

/// <summary>Routes a parsed request to the handler of its API. Thread-safe (handlers are).</summary>
internal sealed class RequestDispatcher
{
    private readonly ApiVersionsHandler _apiVersions;
    private readonly MetadataHandler _metadata;
    private readonly ProduceHandler _produce;
    private readonly FetchHandler _fetch;
    private readonly ListOffsetsHandler _listOffsets;
    private readonly CreateTopicsHandler _createTopics;
    private readonly DeleteTopicsHandler _deleteTopics;
    private readonly FindCoordinatorHandler _findCoordinator;
    private readonly JoinGroupHandler _joinGroup;
    private readonly SyncGroupHandler _syncGroup;
    private readonly HeartbeatHandler _heartbeat;
    private readonly LeaveGroupHandler _leaveGroup;
    private readonly OffsetCommitHandler _offsetCommit;
    private readonly OffsetFetchHandler _offsetFetch;
    private readonly ListGroupsHandler _listGroups;
    private readonly DescribeGroupsHandler _describeGroups;
    private readonly DeleteGroupsHandler _deleteGroups;
    private readonly DeleteRecordsHandler _deleteRecords;
    private readonly TxnOffsetCommitHandler _txnOffsetCommit;
    private readonly InitProducerIdHandler _initProducerId;
    private readonly AddPartitionsToTxnHandler _addPartitionsToTxn;
    private readonly AddOffsetsToTxnHandler _addOffsetsToTxn;
    private readonly EndTxnHandler _endTxn;
    private readonly DescribeTransactionsHandler _describeTransactions;
    private readonly ListTransactionsHandler _listTransactions;
    private readonly WriteTxnMarkersHandler _writeTxnMarkers;
    private readonly DescribeConfigsHandler _describeConfigs;
    private readonly AlterConfigsHandler _alterConfigs;
    private readonly IncrementalAlterConfigsHandler _incrementalAlterConfigs;
    private readonly CreatePartitionsHandler _createPartitions;

    public RequestDispatcher(BrokerContext broker)
    {
        _apiVersions = new ApiVersionsHandler();
        _metadata = new MetadataHandler(broker);
        _produce = new ProduceHandler(broker);
        _fetch = new FetchHandler(broker);
        _listOffsets = new ListOffsetsHandler(broker);
        _createTopics = new CreateTopicsHandler(broker);
        _deleteTopics = new DeleteTopicsHandler(broker);
        _findCoordinator = new FindCoordinatorHandler(broker);
        _joinGroup = new JoinGroupHandler(broker);
        _syncGroup = new SyncGroupHandler(broker);
        _heartbeat = new HeartbeatHandler(broker);
        _leaveGroup = new LeaveGroupHandler(broker);
        _offsetCommit = new OffsetCommitHandler(broker);
        _offsetFetch = new OffsetFetchHandler(broker);
        _listGroups = new ListGroupsHandler(broker);
        _describeGroups = new DescribeGroupsHandler(broker);
        _deleteGroups = new DeleteGroupsHandler(broker);
        _deleteRecords = new DeleteRecordsHandler(broker);
        _txnOffsetCommit = new TxnOffsetCommitHandler(broker);
        _initProducerId = new InitProducerIdHandler(broker);
        _addPartitionsToTxn = new AddPartitionsToTxnHandler(broker);
        _addOffsetsToTxn = new AddOffsetsToTxnHandler(broker);
        _endTxn = new EndTxnHandler(broker);
        _describeTransactions = new DescribeTransactionsHandler(broker);
        _listTransactions = new ListTransactionsHandler(broker);
        _writeTxnMarkers = new WriteTxnMarkersHandler(broker);
        _describeConfigs = new DescribeConfigsHandler(broker);
        _alterConfigs = new AlterConfigsHandler(broker);
        _incrementalAlterConfigs = new IncrementalAlterConfigsHandler(broker);
        _createPartitions = new CreatePartitionsHandler(broker);
    }

    public ValueTask<IProtocolMessage?> DispatchAsync(RequestContext context, IProtocolMessage request)
    {
        IRequestHandler handler = context.ApiKey switch
        {
            ApiKey.ApiVersions => _apiVersions,
            ApiKey.Metadata => _metadata,
            ApiKey.Produce => _produce,
            ApiKey.Fetch => _fetch,
            ApiKey.ListOffsets => _listOffsets,
            ApiKey.CreateTopics => _createTopics,
            ApiKey.DeleteTopics => _deleteTopics,
            ApiKey.FindCoordinator => _findCoordinator,
            ApiKey.JoinGroup => _joinGroup,
            ApiKey.SyncGroup => _syncGroup,
            ApiKey.Heartbeat => _heartbeat,
            ApiKey.LeaveGroup => _leaveGroup,
            ApiKey.OffsetCommit => _offsetCommit,
            ApiKey.OffsetFetch => _offsetFetch,
            ApiKey.ListGroups => _listGroups,
            ApiKey.DescribeGroups => _describeGroups,
            ApiKey.DeleteGroups => _deleteGroups,
            ApiKey.DeleteRecords => _deleteRecords,
            ApiKey.TxnOffsetCommit => _txnOffsetCommit,
            ApiKey.InitProducerId => _initProducerId,
            ApiKey.AddPartitionsToTxn => _addPartitionsToTxn,
            ApiKey.AddOffsetsToTxn => _addOffsetsToTxn,
            ApiKey.EndTxn => _endTxn,
            ApiKey.DescribeTransactions => _describeTransactions,
            ApiKey.ListTransactions => _listTransactions,
            ApiKey.WriteTxnMarkers => _writeTxnMarkers,
            ApiKey.DescribeConfigs => _describeConfigs,
            ApiKey.AlterConfigs => _alterConfigs,
            ApiKey.IncrementalAlterConfigs => _incrementalAlterConfigs,
            ApiKey.CreatePartitions => _createPartitions,
            _ => throw new InvalidOperationException($"no handler for {context.ApiKey}"),
        };
        return handler.HandleAsync(context, request, CancellationToken.None);
    }

    public IProtocolMessage UnsupportedApiVersionsResponse() => ApiVersionsHandler.Build((short)ErrorCode.UnsupportedVersion);
}
