using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>ApiVersions v0-3: the versions this broker speaks, from <see cref="SupportedApis"/>.</summary>
internal sealed class ApiVersionsHandler : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage request, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IProtocolMessage?>(Build((short)ErrorCode.None));

    public static ApiVersionsResponse Build(short errorCode)
    {
        var response = new ApiVersionsResponse { ErrorCode = errorCode };
        foreach (var range in SupportedApis.Advertised)
        {
            response.ApiKeys.Add(new ApiVersionsResponse.ApiVersion
            {
                ApiKey = (short)range.Key,
                MinVersion = range.Min,
                MaxVersion = range.Max,
            });
        }
        return response;
    }
}
