namespace Samsa.Protocol;

/// <summary>Response header v0 (correlation id) and v1 (plus an empty tagged-field section).</summary>
public static class ResponseHeader
{
    public static int Size(short headerVersion) => headerVersion >= 1 ? 5 : 4;

    public static void Write(ref ProtocolWriter writer, int correlationId, short headerVersion)
    {
        writer.WriteInt32(correlationId);
        if (headerVersion >= 1)
        {
            writer.WriteUnsignedVarint(0);
        }
    }

    /// <summary>Reads a response header, returning the correlation id.</summary>
    public static int Read(ref ProtocolReader reader, short headerVersion)
    {
        int correlationId = reader.ReadInt32();
        if (headerVersion >= 1)
        {
            reader.SkipTaggedFields();
        }
        return correlationId;
    }
}
