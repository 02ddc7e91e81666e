using Samsa.Protocol;

namespace Samsa.Broker.Network;

/// <summary>Handles one API. Returns the response body, or null when the request gets no response (acks=0).</summary>
internal interface IRequestHandler
{
    ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage request, CancellationToken cancellationToken);
}
