using Samsa.Protocol.Messages;

namespace Samsa.Protocol;

/// <summary>A request or response body generated from a schema.</summary>
public interface IProtocolMessage
{
    ApiKey Api { get; }

    void Read(ref ProtocolReader reader, short version);

    void Write(ref ProtocolWriter writer, short version);

    int Size(short version);
}
