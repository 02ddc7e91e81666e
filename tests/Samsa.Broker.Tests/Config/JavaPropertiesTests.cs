using Samsa.Broker.Config;

namespace Samsa.Broker.Tests.Config;

public sealed class JavaPropertiesTests
{
    private static Dictionary<string, string> ParseToMap(string text) =>
        JavaProperties.Parse(text).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    [Fact]
    public void Hash_and_bang_lines_are_comments()
    {
        var pairs = JavaProperties.Parse("# a comment\n! another\n   # indented comment\na=1\n");

        var pair = Assert.Single(pairs);
        Assert.Equal(new KeyValuePair<string, string>("a", "1"), pair);
    }

    [Fact]
    public void Blank_lines_are_skipped()
    {
        var pairs = JavaProperties.Parse("\n   \n\t\na=1\n\n");

        Assert.Single(pairs);
    }

    [Theory]
    [InlineData("key=value")]
    [InlineData("key = value")]
    [InlineData("key:value")]
    [InlineData("key : value")]
    [InlineData("key value")]
    [InlineData("key\tvalue")]
    [InlineData("   key   =   value   ")]
    [InlineData("key =value\t ")]
    public void Separators_equals_colon_and_whitespace_are_accepted_and_trimmed(string line)
    {
        var map = ParseToMap(line);

        Assert.Equal("value", map["key"]);
    }

    [Fact]
    public void Only_the_first_separator_splits_key_and_value()
    {
        var map = ParseToMap("listeners=PLAINTEXT://host:9092\nurl: http://x=y\n");

        Assert.Equal("PLAINTEXT://host:9092", map["listeners"]);
        Assert.Equal("http://x=y", map["url"]);
    }

    [Fact]
    public void Key_without_value_maps_to_empty_string()
    {
        var map = ParseToMap("lonely\nempty=\n");

        Assert.Equal(string.Empty, map["lonely"]);
        Assert.Equal(string.Empty, map["empty"]);
    }

    [Fact]
    public void Backslash_at_line_end_continues_and_drops_leading_whitespace()
    {
        var map = ParseToMap("log.dirs=/a,\\\n     /b,\\\n\t/c\nnext=1\n");

        Assert.Equal("/a,/b,/c", map["log.dirs"]);
        Assert.Equal("1", map["next"]);
    }

    [Fact]
    public void Even_number_of_backslashes_does_not_continue()
    {
        var map = ParseToMap("path=c:\\\\\nnext=1\n");

        Assert.Equal("c:\\", map["path"]);
        Assert.Equal("1", map["next"]);
    }

    [Fact]
    public void Continued_line_starting_with_hash_is_not_a_comment()
    {
        var map = ParseToMap("a=x\\\n#y\n");

        Assert.Equal("x#y", map["a"]);
    }

    [Fact]
    public void Comment_line_ending_in_backslash_does_not_continue()
    {
        var map = ParseToMap("# comment \\\na=1\n");

        Assert.Equal("1", map["a"]);
    }

    [Fact]
    public void Continuation_on_the_last_line_is_dropped()
    {
        var map = ParseToMap("a=1\\");

        Assert.Equal("1", map["a"]);
    }

    [Fact]
    public void Escapes_are_decoded()
    {
        var map = ParseToMap("a=tab\\there\nb=line\\nbreak\nc=back\\\\slash\nd=\\u00e9t\\u00E9\ne=\\q\\=\\:\\#\n");

        Assert.Equal("tab\there", map["a"]);
        Assert.Equal("line\nbreak", map["b"]);
        Assert.Equal("back\\slash", map["c"]);
        Assert.Equal("été", map["d"]);
        Assert.Equal("q=:#", map["e"]);
    }

    [Fact]
    public void Escaped_separators_and_spaces_belong_to_the_key()
    {
        var map = ParseToMap("my\\ key\\=x\\:y = v\n");

        Assert.Equal("v", map["my key=x:y"]);
    }

    [Fact]
    public void Escaped_trailing_space_is_kept_but_unescaped_is_trimmed()
    {
        var map = ParseToMap("a=v\\ \nb=v   \n");

        Assert.Equal("v ", map["a"]);
        Assert.Equal("v", map["b"]);
    }

    [Fact]
    public void Windows_and_old_mac_line_endings_are_lines()
    {
        var map = ParseToMap("a=1\r\nb=2\rc=3");

        Assert.Equal("1", map["a"]);
        Assert.Equal("2", map["b"]);
        Assert.Equal("3", map["c"]);
    }

    [Fact]
    public void Duplicate_keys_keep_file_order_so_the_last_wins()
    {
        var pairs = JavaProperties.Parse("a=1\na=2\n");

        Assert.Equal(["1", "2"], pairs.Select(p => p.Value));
    }

    [Theory]
    [InlineData("a=\\u12")]
    [InlineData("a=\\uzzzz")]
    [InlineData("a=x\\u")]
    public void Malformed_unicode_escape_throws_with_line_number(string text)
    {
        var e = Assert.Throws<ConfigException>(() => JavaProperties.Parse("# header\n" + text));

        Assert.Contains("\\uXXXX", e.Message);
        Assert.Contains("line 2", e.Message);
    }

    [Fact]
    public void Load_of_missing_file_throws_naming_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), "samsa-missing-" + Guid.NewGuid().ToString("N"), "server.properties");

        var e = Assert.Throws<ConfigException>(() => JavaProperties.Load(path));

        Assert.Contains(path, e.Message);
    }
}
