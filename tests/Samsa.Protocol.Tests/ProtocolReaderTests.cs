using Samsa.Protocol;

namespace Samsa.Protocol.Tests;

public sealed class ProtocolReaderTests
{
    private static ProtocolException Fails(byte[] bytes, Action<byte[]> read) => Assert.Throws<ProtocolException>(() => read(bytes));

    [Fact]
    public void Array_length_beyond_the_remaining_bytes_is_malformed()
    {
        Fails([0x7f, 0xff, 0xff, 0xff, 1, 2], b => new ProtocolReader(b).ReadArrayLength(compact: false));
        Fails([0xff, 0xff, 0xff, 0xff, 0x0f], b => new ProtocolReader(b).ReadArrayLength(compact: true));
    }

    [Fact]
    public void Null_array_is_minus_one_in_both_forms()
    {
        Assert.Equal(-1, new ProtocolReader(new byte[] { 0xff, 0xff, 0xff, 0xff }).ReadArrayLength(compact: false));
        Assert.Equal(-1, new ProtocolReader(new byte[] { 0 }).ReadArrayLength(compact: true));
    }

    [Fact]
    public void String_longer_than_the_input_is_malformed_not_allocated()
    {
        Fails([0x7f, 0xff, (byte)'a'], b => new ProtocolReader(b).ReadString(compact: false));
        Fails([0x80, 0x80, 0x80, 0x80, 0x07, (byte)'a'], b => new ProtocolReader(b).ReadString(compact: true));
    }

    [Fact]
    public void Lengths_below_minus_one_are_malformed()
    {
        Fails([0xff, 0xfe], b => new ProtocolReader(b).ReadNullableString(compact: false));
        Fails([0xff, 0xff, 0xff, 0xfe], b => new ProtocolReader(b).ReadNullableBytes(compact: false));
    }

    [Fact]
    public void Varint_longer_than_five_bytes_is_malformed()
    {
        Fails([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], b => new ProtocolReader(b).ReadUnsignedVarint());
    }

    [Fact]
    public void Tagged_field_count_and_size_are_bounded()
    {
        Fails([0x80, 0x80, 0x04], b => new ProtocolReader(b).ReadTaggedFieldCount());
        Fails([0x01, 0x00, 0x7f], b => new ProtocolReader(b).SkipTaggedFields());
    }

    [Fact]
    public void Records_are_a_slice_of_the_input_not_a_copy()
    {
        byte[] input = [0, 0, 0, 3, 9, 8, 7];
        var reader = new ProtocolReader(input);
        var records = reader.ReadRecords(compact: false);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(records!.Value, out var segment));
        Assert.Same(input, segment.Array);
        Assert.Equal(4, segment.Offset);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void Zigzag_varints_round_trip(int value)
    {
        var buffer = new byte[10];
        var writer = new ProtocolWriter(buffer);
        writer.WriteVarint(value);
        Assert.Equal(ProtocolSize.Varint(value), writer.Position);
        Assert.Equal(value, new ProtocolReader(buffer).ReadVarint());
    }

    [Fact]
    public void Compact_and_classic_strings_round_trip_with_multibyte_utf8()
    {
        foreach (bool compact in new[] { false, true })
        {
            var buffer = new byte[64];
            var writer = new ProtocolWriter(buffer);
            writer.WriteString("zürich-€", compact);
            Assert.Equal(ProtocolSize.String("zürich-€", compact), writer.Position);
            Assert.Equal("zürich-€", new ProtocolReader(buffer).ReadString(compact));
        }
    }
}
