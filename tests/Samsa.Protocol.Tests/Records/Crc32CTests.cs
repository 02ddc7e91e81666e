using System.Text;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Records;

public sealed class Crc32CTests
{
    [Fact]
    public void Check_value_of_the_standard_test_vector()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void Empty_input_has_crc_zero()
    {
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Matches_a_bitwise_reference_for_every_length_and_alignment()
    {
        var random = new Random(42);
        var data = new byte[300];
        random.NextBytes(data);
        for (int start = 0; start < 9; start++)
        {
            for (int length = 0; length + start <= data.Length; length += 7)
            {
                ReadOnlySpan<byte> slice = data.AsSpan(start, length);
                Assert.Equal(ReferenceCrc32C.Compute(slice), Crc32C.Compute(slice));
            }
        }
    }

    [Fact]
    public void Matches_the_reference_on_inputs_long_enough_for_the_three_way_loop()
    {
        var random = new Random(7);
        var data = new byte[40_000];
        random.NextBytes(data);
        foreach (int length in new[] { 3071, 3072, 3073, 3079, 6144, 9215, 9216, 10_000, 39_990 })
        {
            for (int start = 0; start < 3; start++)
            {
                ReadOnlySpan<byte> slice = data.AsSpan(start, length);
                Assert.Equal(ReferenceCrc32C.Compute(slice), Crc32C.Compute(slice));
            }
        }

        for (int i = 0; i < 50; i++)
        {
            int length = random.Next(3000, 40_000);
            int start = random.Next(0, data.Length - length);
            Assert.Equal(ReferenceCrc32C.Compute(data.AsSpan(start, length)), Crc32C.Compute(data.AsSpan(start, length)));
        }
    }

    [Fact]
    public void Update_continues_a_running_crc()
    {
        byte[] data = Encoding.ASCII.GetBytes("The quick brown fox jumps over the lazy dog");
        uint state = Crc32C.Update(uint.MaxValue, data.AsSpan(0, 13));
        state = Crc32C.Update(state, data.AsSpan(13));
        Assert.Equal(Crc32C.Compute(data), ~state);
    }
}
