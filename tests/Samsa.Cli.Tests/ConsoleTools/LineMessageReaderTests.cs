using System.Text;
using Samsa.Cli.Commands;
using Samsa.Cli.Commands.ConsoleTools;

namespace Samsa.Cli.Tests.ConsoleTools;

public sealed class LineMessageReaderTests
{
    private static LineMessageReader Reader(params (string Key, string Value)[] properties) =>
        new(properties.ToDictionary(p => p.Key, p => p.Value));

    private static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);

    [Fact]
    public void By_default_the_whole_line_is_the_value()
    {
        var record = Reader().Parse("a\tb:c");
        Assert.Null(record.Key);
        Assert.Equal("a\tb:c", Text(record.Value));
        Assert.Null(record.Headers);
    }

    [Fact]
    public void Parse_key_splits_at_the_first_key_separator()
    {
        var record = Reader(("parse.key", "true"), ("key.separator", ":")).Parse("user-1:hello:world");
        Assert.Equal("user-1", Text(record.Key));
        Assert.Equal("hello:world", Text(record.Value));
    }

    [Fact]
    public void Headers_come_first_then_key_then_value()
    {
        var record = Reader(("parse.key", "true"), ("parse.headers", "true")).Parse("h1:v1,h2:v2\tk\tv");
        Assert.Equal("k", Text(record.Key));
        Assert.Equal("v", Text(record.Value));
        Assert.Equal([("h1", "v1"), ("h2", "v2")], record.Headers!.Select(h => (h.Key, Text(h.Value)!)));
    }

    [Fact]
    public void Null_marker_makes_keys_values_and_header_values_null()
    {
        var record = Reader(("parse.key", "true"), ("parse.headers", "true"), ("null.marker", "<null>")).Parse("h:<null>\t<null>\t<null>");
        Assert.Null(record.Key);
        Assert.Null(record.Value);
        Assert.Null(Assert.Single(record.Headers!).Value);
    }

    [Fact]
    public void A_line_without_its_key_separator_is_an_error_naming_the_line()
    {
        var reader = Reader(("parse.key", "true"));
        reader.Parse("k\tv");
        var e = Assert.Throws<FormatException>(() => reader.Parse("no separator"));
        Assert.Equal("No key separator found on line number 2: 'no separator'", e.Message);
    }

    [Fact]
    public void Ignore_error_takes_a_line_without_separator_as_the_value()
    {
        var record = Reader(("parse.key", "true"), ("ignore.error", "true")).Parse("just a value");
        Assert.Null(record.Key);
        Assert.Equal("just a value", Text(record.Value));
    }

    [Fact]
    public void Unknown_properties_and_equal_separators_are_usage_errors()
    {
        Assert.Throws<UsageException>(() => Reader(("parse.kee", "true")));
        Assert.Throws<UsageException>(() => Reader(("headers.separator", ":")));
        Assert.Throws<UsageException>(() => Reader(("null.marker", "\t")));
    }
}
