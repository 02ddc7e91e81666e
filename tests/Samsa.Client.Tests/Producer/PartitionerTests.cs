using System.Text;
using Samsa.Client.Producer;

namespace Samsa.Client.Tests.Producer;

public class PartitionerTests
{
    // Expected hashes come from kafka-python 2.0.2's murmur2 (an implementation nobody here wrote), as unsigned 32-bit.
    [Theory]
    [InlineData("21", 3321034988u)]
    [InlineData("foobar", 3504634814u)]
    [InlineData("a-little-bit-long-string", 3308985760u)]
    [InlineData("a-little-bit-longer-string", 2808662467u)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", 4236069325u)]
    [InlineData("abc", 479470107u)]
    [InlineData("", 275646681u)]
    [InlineData("key-1", 193331640u)]
    public void Murmur2_matches_the_java_clients_hash(string key, uint expected) =>
        Assert.Equal(expected, (uint)Partitioner.Murmur2(Encoding.UTF8.GetBytes(key)));

    [Fact]
    public void Murmur2_reads_bytes_above_127_as_unsigned() =>
        Assert.Equal(4134240899u, (uint)Partitioner.Murmur2([0xff, 0xfe, 0x80]));

    [Fact]
    public void Partition_is_the_positive_hash_modulo_the_partition_count()
    {
        // 3321034988 has the top bit set: Kafka clears it (toPositive), it does not take the absolute value.
        Assert.Equal((int)((3321034988u & 0x7fffffff) % 6), Partitioner.PartitionFor(Encoding.UTF8.GetBytes("21"), 6));
    }
}
