using System.Text;
using Samsa.Cli.Commands;
using Samsa.Cli.Commands.ConsoleTools;
using Samsa.Client;

namespace Samsa.Cli.Tests.ConsoleTools;

public sealed class DefaultMessageFormatterTests
{
    private static string Format(Dictionary<string, string> properties, Headers? headers, string? key, string? value,
        TimestampType type = TimestampType.CreateTime)
    {
        var formatter = new DefaultMessageFormatter(properties);
        using var output = new MemoryStream();
        formatter.Write(output, type, 1_700_000_000_123, 3, 42, headers,
            key is null ? null : Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value));
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public void By_default_only_the_value_is_printed()
    {
        Assert.Equal("hello\n", Format([], null, "k", "hello"));
    }

    [Fact]
    public void Every_field_prints_in_kafkas_order_separated_by_key_separator()
    {
        var headers = new Headers { { "h1", "v1"u8.ToArray() }, { "h2", null } };
        var properties = new Dictionary<string, string>
        {
            ["print.timestamp"] = "true", ["print.partition"] = "true", ["print.offset"] = "true",
            ["print.headers"] = "true", ["print.key"] = "true", ["key.separator"] = " | ",
        };
        Assert.Equal("CreateTime:1700000000123 | Partition:3 | Offset:42 | h1:v1,h2:null | k | v\n", Format(properties, headers, "k", "v"));
    }

    [Fact]
    public void Nulls_print_as_the_null_literal_and_missing_headers_as_NO_HEADERS()
    {
        var properties = new Dictionary<string, string> { ["print.key"] = "true", ["print.headers"] = "true", ["null.literal"] = "-" };
        Assert.Equal("NO_HEADERS\t-\t-\n", Format(properties, null, null, null));
    }

    [Fact]
    public void Without_the_value_the_last_field_ends_the_line()
    {
        var properties = new Dictionary<string, string> { ["print.key"] = "true", ["print.value"] = "false", ["print.timestamp"] = "true" };
        Assert.Equal("LogAppendTime:1700000000123\tk\n", Format(properties, null, "k", "v", TimestampType.LogAppendTime));
        Assert.Equal("NO_TIMESTAMP\tk\n", Format(properties, null, "k", "v", TimestampType.NotAvailable));
    }

    [Fact]
    public void Unknown_properties_are_usage_errors()
    {
        Assert.Throws<UsageException>(() => new DefaultMessageFormatter(new Dictionary<string, string> { ["print.keys"] = "true" }));
    }
}
