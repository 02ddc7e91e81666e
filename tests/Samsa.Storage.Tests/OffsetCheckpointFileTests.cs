using Samsa.Protocol;

namespace Samsa.Storage.Tests;

public sealed class OffsetCheckpointFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private OffsetCheckpointFile File(string name = "recovery-point-offset-checkpoint") => new(_dir.Combine(name));

    [Fact]
    public void Entries_round_trip_in_kafkas_text_format()
    {
        OffsetCheckpointFile file = File();
        var entries = new Dictionary<TopicPartition, long>
        {
            [new("orders", 0)] = 1520,
            [new("__consumer_offsets", 49)] = 0,
            [new("a.b_c-d", 7)] = long.MaxValue,
        };
        file.Write(entries);

        string[] lines = System.IO.File.ReadAllText(file.Path).Split('\n');
        Assert.Equal(["0", "3", "orders 0 1520", "__consumer_offsets 49 0", "a.b_c-d 7 9223372036854775807", ""], lines);
        Assert.Equal(entries, file.Read());
        Assert.False(System.IO.File.Exists(file.Path + ".tmp"));
    }

    [Fact]
    public void Writing_again_replaces_the_file_and_an_empty_checkpoint_reads_back_empty()
    {
        OffsetCheckpointFile file = File();
        file.Write([new(new TopicPartition("orders", 0), 5)]);
        file.Write([]);
        Assert.Equal("0\n0\n", System.IO.File.ReadAllText(file.Path));
        Assert.Empty(file.Read());
    }

    [Fact]
    public void A_missing_file_is_an_empty_checkpoint()
    {
        Assert.Empty(File("absent").Read());
    }

    [Theory]
    [InlineData("", 1, "ends before")]
    [InlineData("0\n", 2, "ends before")]
    [InlineData("1\n0\n", 1, "unsupported version '1'")]
    [InlineData("x\n0\n", 1, "unsupported version")]
    [InlineData("0\nmany\n", 2, "not an entry count")]
    [InlineData("0\n2\norders 0 5\n", 4, "has 1 entries, the header says 2")]
    [InlineData("0\n1\norders 0 5\norders 1 6\n", 4, "has 2 entries, the header says 1")]
    [InlineData("0\n1\norders 0\n", 3, "'orders 0' is not 'topic partition offset'")]
    [InlineData("0\n1\norders 0 -5\n", 3, "is not 'topic partition offset'")]
    [InlineData("0\n1\norders x 5\n", 3, "is not 'topic partition offset'")]
    [InlineData("0\n1\nord ers 0 5\n", 3, "is not 'topic partition offset'")]
    [InlineData("0\n1\nor/ders 0 5\n", 3, "is not 'topic partition offset'")]
    [InlineData("0\n2\norders 0 5\norders 0 6\n", 4, "appears twice")]
    [InlineData("0\n1\norders 0 5 \n", 3, "is not 'topic partition offset'")]
    public void A_malformed_file_is_an_error_naming_the_file_and_line(string text, int line, string reason)
    {
        OffsetCheckpointFile file = File();
        System.IO.File.WriteAllText(file.Path, text);
        var error = Assert.Throws<InvalidDataException>(() => file.Read());
        Assert.Contains(file.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains($"line {line}:", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Entries_that_the_format_cannot_hold_are_refused()
    {
        OffsetCheckpointFile file = File();
        Assert.Throws<ArgumentException>(() => file.Write([new(new TopicPartition("orders", 0), -1)]));
        Assert.Throws<ArgumentException>(() => file.Write([new(new TopicPartition("bad topic", 0), 1)]));
        Assert.False(System.IO.File.Exists(file.Path));
    }
}
