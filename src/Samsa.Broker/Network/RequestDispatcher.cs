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

    public RequestDispatcher(BrokerContext broker)
    {
        _apiVersions = new ApiVersionsHandler();
        _metadata = new MetadataHandler(broker);
        _produce = new ProduceHandler(broker);
        _fetch = new FetchHandler(broker);
        _listOffsets = new ListOffsetsHandler(broker);
        _createTopics = new CreateTopicsHandler(broker);
        _deleteTopics = new DeleteTopicsHandler(broker);
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
            _ => throw new InvalidOperationException($"no handler for {context.ApiKey}"),
        };
        return handler.HandleAsync(context, request, CancellationToken.None);
    }

    public IProtocolMessage UnsupportedApiVersionsResponse() => ApiVersionsHandler.Build((short)ErrorCode.UnsupportedVersion);
}
