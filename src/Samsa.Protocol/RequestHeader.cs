using Samsa.Protocol.Messages;

namespace Samsa.Protocol;

/// <summary>
/// Request header v1 (api key, version, correlation id, nullable client id) and v2 (v1 plus tagged fields).
/// The client id stays a classic int16 string even in v2.
/// </summary>
public sealed class RequestHeader
{
    public short RequestApiKey { get; set; }

    public short RequestApiVersion { get; set; }

    public int CorrelationId { get; set; }

    public string? ClientId { get; set; }

    public ApiKey ApiKey => (ApiKey)RequestApiKey;

    /// <summary>Reads the fixed part (key, version, correlation id): enough to answer even an unknown API.</summary>
    public void ReadFixed(ref ProtocolReader reader)
    {
        RequestApiKey = reader.ReadInt16();
        RequestApiVersion = reader.ReadInt16();
        CorrelationId = reader.ReadInt32();
    }

    /// <summary>Reads the rest of the header for <paramref name="headerVersion"/> (1 or 2).</summary>
    public void ReadRest(ref ProtocolReader reader, short headerVersion)
    {
        ClientId = headerVersion >= 1 ? reader.ReadNullableString(compact: false) : null;
        if (headerVersion >= 2)
        {
            reader.SkipTaggedFields();
        }
    }

    public int Size(short headerVersion) =>
        8 + (headerVersion >= 1 ? ProtocolSize.NullableString(ClientId, compact: false) : 0) + (headerVersion >= 2 ? 1 : 0);

    public void Write(ref ProtocolWriter writer, short headerVersion)
    {
        writer.WriteInt16(RequestApiKey);
        writer.WriteInt16(RequestApiVersion);
        writer.WriteInt32(CorrelationId);
        if (headerVersion >= 1)
        {
            writer.WriteNullableString(ClientId, compact: false);
        }
        if (headerVersion >= 2)
        {
            writer.WriteUnsignedVarint(0);
        }
    }
}
