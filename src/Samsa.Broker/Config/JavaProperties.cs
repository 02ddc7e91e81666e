using System.Globalization;
using System.Text;

namespace Samsa.Broker.Config;

/// <summary>
/// Reads the Java properties format used by <c>server.properties</c> and client config files:
/// <c>#</c> and <c>!</c> start comment lines; a key ends at the first unescaped <c>=</c>, <c>:</c>
/// or whitespace, and one <c>=</c> or <c>:</c> may follow the whitespace; a line ending in an odd
/// number of backslashes continues on the next line (whose leading whitespace is dropped);
/// <c>\t \n \r \f \\ \uXXXX</c> are escapes and a backslash before any other character stands for
/// that character. Keys and values are trimmed of unescaped whitespace. Later duplicates win when
/// the pairs are put into a map. Files are read as UTF-8. Stateless and thread-safe.
/// </summary>
public static class JavaProperties
{
    /// <summary>Parses properties text into key/value pairs in file order.</summary>
    /// <exception cref="ConfigException">A malformed <c>\uXXXX</c> escape.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(string text) =>
        ParseLines(text, "properties text").Select(p => new KeyValuePair<string, string>(p.Key, p.Value)).ToArray();

    /// <summary>Reads and parses a properties file.</summary>
    /// <exception cref="ConfigException">The file is missing, unreadable or malformed.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> Load(string path) =>
        ParseLines(ReadFile(path), path).Select(p => new KeyValuePair<string, string>(p.Key, p.Value)).ToArray();

    internal static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigException($"Properties file '{path}' does not exist.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Properties file '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Parses properties text; each pair carries the line its logical line starts on.</summary>
    internal static List<(string Key, string Value, int Line)> ParseLines(string text, string sourceName)
    {
        var lines = SplitLines(text);
        var result = new List<(string, string, int)>();
        var logical = new StringBuilder();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = TrimLeadingWhitespace(lines[i]);
            if (line.Length == 0 || line[0] == '#' || line[0] == '!')
            {
                continue;
            }

            var firstLine = i + 1;
            logical.Clear();
            while (true)
            {
                if (!EndsWithContinuation(line))
                {
                    logical.Append(line);
                    break;
                }

                logical.Append(line, 0, line.Length - 1);
                if (i + 1 >= lines.Count)
                {
                    break;
                }

                i++;
                line = TrimLeadingWhitespace(lines[i]);
            }

            result.Add(ParseLogicalLine(logical.ToString(), sourceName, firstLine));
        }

        return result;
    }

    private static List<string> SplitLines(string text)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\n' && c != '\r')
            {
                continue;
            }

            lines.Add(text[start..i]);
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;
            }

            start = i + 1;
        }

        if (start < text.Length)
        {
            lines.Add(text[start..]);
        }

        return lines;
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\f';

    private static string TrimLeadingWhitespace(string line)
    {
        var start = 0;
        while (start < line.Length && IsWhitespace(line[start]))
        {
            start++;
        }

        return start == 0 ? line : line[start..];
    }

    private static bool EndsWithContinuation(string line)
    {
        var backslashes = 0;
        for (var i = line.Length - 1; i >= 0 && line[i] == '\\'; i--)
        {
            backslashes++;
        }

        return (backslashes & 1) == 1;
    }

    private static (string Key, string Value, int Line) ParseLogicalLine(string line, string sourceName, int lineNumber)
    {
        var key = new StringBuilder();
        var position = 0;
        while (position < line.Length)
        {
            var c = line[position];
            if (c == '\\')
            {
                position = AppendEscape(line, position, key, sourceName, lineNumber);
                continue;
            }

            if (c is '=' or ':' || IsWhitespace(c))
            {
                break;
            }

            key.Append(c);
            position++;
        }

        while (position < line.Length && IsWhitespace(line[position]))
        {
            position++;
        }

        if (position < line.Length && line[position] is '=' or ':')
        {
            position++;
            while (position < line.Length && IsWhitespace(line[position]))
            {
                position++;
            }
        }

        var value = new StringBuilder();
        var significantLength = 0;
        while (position < line.Length)
        {
            var c = line[position];
            if (c == '\\')
            {
                position = AppendEscape(line, position, value, sourceName, lineNumber);
                significantLength = value.Length;
                continue;
            }

            value.Append(c);
            if (!IsWhitespace(c))
            {
                significantLength = value.Length;
            }

            position++;
        }

        value.Length = significantLength;
        return (key.ToString(), value.ToString(), lineNumber);
    }

    /// <summary>Appends the character an escape at <paramref name="position"/> stands for; returns the position after it.</summary>
    private static int AppendEscape(string line, int position, StringBuilder target, string sourceName, int lineNumber)
    {
        if (position + 1 >= line.Length)
        {
            return line.Length;
        }

        var c = line[position + 1];
        switch (c)
        {
            case 't':
                target.Append('\t');
                return position + 2;
            case 'n':
                target.Append('\n');
                return position + 2;
            case 'r':
                target.Append('\r');
                return position + 2;
            case 'f':
                target.Append('\f');
                return position + 2;
            case 'u':
                if (position + 6 > line.Length
                    || !int.TryParse(line.AsSpan(position + 2, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                {
                    throw new ConfigException($"Malformed \\uXXXX escape in {sourceName} at line {lineNumber}: expected four hexadecimal digits after \\u.");
                }

                target.Append((char)code);
                return position + 6;
            default:
                target.Append(c);
                return position + 2;
        }
    }
}
