using System.Buffers.Binary;
using System.Text;

namespace Samsa.Client;

/// <summary>Turns a key or value into bytes for the wire.</summary>
public interface ISerializer<in T>
{
    /// <summary>The bytes to send, or null for a null key or value.</summary>
    byte[]? Serialize(T data, SerializationContext context);
}

/// <summary>Turns a consumed key or value back into an object.</summary>
public interface IDeserializer<out T>
{
    T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context);
}

/// <summary>What a (de)serializer is working on.</summary>
public readonly record struct SerializationContext(MessageComponentType Component, string Topic, Headers? Headers = null);

public enum MessageComponentType
{
    Key,
    Value,
}

/// <summary>A type that has no value: for records without a key.</summary>
public sealed class Null
{
    private Null()
    {
    }
}

/// <summary>The serializers Kafka clients ship with.</summary>
public static class Serializers
{
    /// <summary>Sends the array itself (no copy until it is batched).</summary>
    public static readonly ISerializer<byte[]?> ByteArray = new ByteArraySerializer();

    public static readonly ISerializer<string?> Utf8 = new Utf8Serializer();

    public static readonly ISerializer<Null?> Null = new NullSerializer();

    /// <summary>Big-endian, as Kafka's IntegerSerializer.</summary>
    public static readonly ISerializer<int> Int32 = new Int32Serializer();

    /// <summary>Big-endian, as Kafka's LongSerializer.</summary>
    public static readonly ISerializer<long> Int64 = new Int64Serializer();

    /// <summary>The built-in serializer for <typeparamref name="T"/>, or null when there is none.</summary>
    internal static ISerializer<T>? For<T>() => (typeof(T) == typeof(byte[]) ? ByteArray
        : typeof(T) == typeof(string) ? Utf8
        : typeof(T) == typeof(Null) ? Null
        : typeof(T) == typeof(int) ? Int32
        : typeof(T) == typeof(long) ? (object)Int64
        : null) as ISerializer<T>;

    private sealed class ByteArraySerializer : ISerializer<byte[]?>
    {
        public byte[]? Serialize(byte[]? data, SerializationContext context) => data;
    }

    private sealed class Utf8Serializer : ISerializer<string?>
    {
        public byte[]? Serialize(string? data, SerializationContext context) => data is null ? null : Encoding.UTF8.GetBytes(data);
    }

    private sealed class NullSerializer : ISerializer<Null?>
    {
        public byte[]? Serialize(Null? data, SerializationContext context) => null;
    }

    private sealed class Int32Serializer : ISerializer<int>
    {
        public byte[]? Serialize(int data, SerializationContext context)
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(bytes, data);
            return bytes;
        }
    }

    private sealed class Int64Serializer : ISerializer<long>
    {
        public byte[]? Serialize(long data, SerializationContext context)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(bytes, data);
            return bytes;
        }
    }
}

/// <summary>The deserializers Kafka clients ship with.</summary>
public static class Deserializers
{
    public static readonly IDeserializer<byte[]?> ByteArray = new ByteArrayDeserializer();

    public static readonly IDeserializer<string?> Utf8 = new Utf8Deserializer();

    public static readonly IDeserializer<Null?> Null = new NullDeserializer();

    /// <summary>Reads nothing: for consumers that look only at positions.</summary>
    public static readonly IDeserializer<Null?> Ignore = new NullDeserializer();

    public static readonly IDeserializer<int> Int32 = new Int32Deserializer();

    public static readonly IDeserializer<long> Int64 = new Int64Deserializer();

    internal static IDeserializer<T>? For<T>() => (typeof(T) == typeof(byte[]) ? ByteArray
        : typeof(T) == typeof(string) ? Utf8
        : typeof(T) == typeof(Null) ? Null
        : typeof(T) == typeof(int) ? Int32
        : typeof(T) == typeof(long) ? (object)Int64
        : null) as IDeserializer<T>;

    private sealed class ByteArrayDeserializer : IDeserializer<byte[]?>
    {
        public byte[]? Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => isNull ? null : data.ToArray();
    }

    private sealed class Utf8Deserializer : IDeserializer<string?>
    {
        public string? Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => isNull ? null : Encoding.UTF8.GetString(data);
    }

    private sealed class NullDeserializer : IDeserializer<Null?>
    {
        public Null? Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => null;
    }

    private sealed class Int32Deserializer : IDeserializer<int>
    {
        public int Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
            data.Length == 4 ? BinaryPrimitives.ReadInt32BigEndian(data) : throw new FormatException($"an int32 needs 4 bytes, not {data.Length}");
    }

    private sealed class Int64Deserializer : IDeserializer<long>
    {
        public long Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
            data.Length == 8 ? BinaryPrimitives.ReadInt64BigEndian(data) : throw new FormatException($"an int64 needs 8 bytes, not {data.Length}");
    }
}
