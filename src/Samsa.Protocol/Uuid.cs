using System.Buffers.Binary;

namespace Samsa.Protocol;

/// <summary>Kafka's 128-bit UUID (topic ids, cluster ids): two big-endian int64 halves, printed as URL-safe base64.</summary>
public readonly record struct Uuid(long MostSignificantBits, long LeastSignificantBits)
{
    public static readonly Uuid Zero = default;

    public bool IsZero => MostSignificantBits == 0 && LeastSignificantBits == 0;

    public static Uuid NewRandom()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes);
        // Version 4, IETF variant, as java.util.UUID.randomUUID produces.
        bytes[6] = (byte)((bytes[6] & 0x0f) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3f) | 0x80);
        var id = new Uuid(BinaryPrimitives.ReadInt64BigEndian(bytes), BinaryPrimitives.ReadInt64BigEndian(bytes[8..]));
        return id.IsZero ? NewRandom() : id;
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, MostSignificantBits);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], LeastSignificantBits);
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        WriteTo(bytes);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static Uuid Parse(string text)
    {
        string b64 = text.Replace('-', '+').Replace('_', '/');
        b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
        byte[] bytes = Convert.FromBase64String(b64);
        if (bytes.Length != 16)
        {
            throw new FormatException($"'{text}' is not a 16-byte UUID");
        }
        return new Uuid(BinaryPrimitives.ReadInt64BigEndian(bytes), BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(8)));
    }
}
