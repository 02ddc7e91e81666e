using System.Text;
using Samsa.Protocol.Records;

namespace Samsa.Cli.Commands.ConsoleTools;

/// <summary>
/// kafka-console-producer's line format: `[headers<headers.delimiter>][key<key.separator>]value`, where headers are
/// `k<headers.key.separator>v` pairs joined by headers.separator, all configured by --property as in Kafka
/// (parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator,
/// ignore.error, null.marker). A line that lacks a separator it needs is an error naming the line, unless
/// ignore.error=true. Not thread-safe (it counts lines).
/// </summary>
internal sealed class LineMessageReader
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "parse.key", "key.separator", "parse.headers", "headers.delimiter", "headers.separator", "headers.key.separator",
        "ignore.error", "null.marker",
    };

    private readonly bool _parseKey;
    private readonly string _keySeparator = "\t";
    private readonly bool _parseHeaders;
    private readonly string _headersDelimiter = "\t";
    private readonly string _headersSeparator = ",";
    private readonly string _headersKeySeparator = ":";
    private readonly bool _ignoreError;
    private readonly string? _nullMarker;
    private int _lineNumber;

    /// <summary>Reads the --property settings; an unknown name or clashing separators are usage errors.</summary>
    public LineMessageReader(IReadOnlyDictionary<string, string> properties)
    {
        foreach (var key in properties.Keys)
        {
            if (!Known.Contains(key))
            {
                throw new UsageException($"unknown --property '{key}' (known: {string.Join(", ", Known)})");
            }
        }
        _parseKey = IsTrue(properties, "parse.key");
        _parseHeaders = IsTrue(properties, "parse.headers");
        _ignoreError = IsTrue(properties, "ignore.error");
        _keySeparator = NonEmpty(properties, "key.separator") ?? _keySeparator;
        _headersDelimiter = NonEmpty(properties, "headers.delimiter") ?? _headersDelimiter;
        _headersSeparator = NonEmpty(properties, "headers.separator") ?? _headersSeparator;
        _headersKeySeparator = NonEmpty(properties, "headers.key.separator") ?? _headersKeySeparator;
        _nullMarker = properties.GetValueOrDefault("null.marker");
        Distinct("headers.delimiter", _headersDelimiter, "headers.separator", _headersSeparator);
        Distinct("headers.delimiter", _headersDelimiter, "headers.key.separator", _headersKeySeparator);
        Distinct("headers.separator", _headersSeparator, "headers.key.separator", _headersKeySeparator);
        if (_nullMarker is not null)
        {
            Distinct("null.marker", _nullMarker, "key.separator", _keySeparator);
            Distinct("null.marker", _nullMarker, "headers.separator", _headersSeparator);
            Distinct("null.marker", _nullMarker, "headers.delimiter", _headersDelimiter);
            Distinct("null.marker", _nullMarker, "headers.key.separator", _headersKeySeparator);
        }
    }

    /// <summary>One line turned into a record; null key or value stands for a null on the wire.</summary>
    public readonly record struct LineRecord(byte[]? Key, byte[]? Value, RecordHeader[]? Headers);

    /// <summary>Parses the next line; throws <see cref="FormatException"/> for a malformed one unless ignore.error is set.</summary>
    public LineRecord Parse(string line)
    {
        _lineNumber++;
        string? headers = Split(_parseHeaders, line, 0, _headersDelimiter, "headers delimiter");
        int headerOffset = headers is null ? 0 : headers.Length + _headersDelimiter.Length;
        string? key = Split(_parseKey, line, headerOffset, _keySeparator, "key separator");
        int keyOffset = key is null ? 0 : key.Length + _keySeparator.Length;
        string value = line[(headerOffset + keyOffset)..];
        return new LineRecord(
            key is null || key == _nullMarker ? null : Encoding.UTF8.GetBytes(key),
            value == _nullMarker ? null : Encoding.UTF8.GetBytes(value),
            headers is null || headers == _nullMarker ? null : SplitHeaders(headers));
    }

    private string? Split(bool enabled, string line, int start, string separator, string name)
    {
        if (!enabled)
        {
            return null;
        }
        int index = line.IndexOf(separator, start, StringComparison.Ordinal);
        if (index < 0)
        {
            return _ignoreError ? null : throw new FormatException($"No {name} found on line number {_lineNumber}: '{line}'");
        }
        return line[start..index];
    }

    private RecordHeader[] SplitHeaders(string headers)
    {
        var result = new List<RecordHeader>();
        foreach (string pair in headers.Split(_headersSeparator))
        {
            int i = pair.IndexOf(_headersKeySeparator, StringComparison.Ordinal);
            if (i < 0)
            {
                if (_ignoreError)
                {
                    result.Add(new RecordHeader(pair, null));
                    continue;
                }
                throw new FormatException($"No header key separator found in pair '{pair}' on line number {_lineNumber}");
            }
            string key = pair[..i];
            if (key == _nullMarker)
            {
                throw new FormatException($"Header keys should not be equal to the null marker '{_nullMarker}' as they can't be null");
            }
            string value = pair[(i + _headersKeySeparator.Length)..];
            result.Add(new RecordHeader(key, value == _nullMarker ? null : Encoding.UTF8.GetBytes(value)));
        }
        return [.. result];
    }

    private static bool IsTrue(IReadOnlyDictionary<string, string> properties, string key) =>
        properties.TryGetValue(key, out var value) && value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase);

    private static string? NonEmpty(IReadOnlyDictionary<string, string> properties, string key)
    {
        if (!properties.TryGetValue(key, out var value))
        {
            return null;
        }
        return value.Length > 0 ? value : throw new UsageException($"--property {key} must not be empty");
    }

    private static void Distinct(string nameA, string a, string nameB, string b)
    {
        if (a == b)
        {
            throw new UsageException($"{nameA} and {nameB} may not be equal");
        }
    }
}
