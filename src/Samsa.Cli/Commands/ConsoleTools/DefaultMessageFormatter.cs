using System.Globalization;
using System.Text;
using Samsa.Client;

namespace Samsa.Cli.Commands.ConsoleTools;

/// <summary>
/// kafka-console-consumer's DefaultMessageFormatter: per record, the enabled fields in the order timestamp
/// (`CreateTime:ms`, `LogAppendTime:ms` or `NO_TIMESTAMP`), `Partition:p`, `Offset:o`, headers (`k:v` joined by
/// headers.separator, or `NO_HEADERS`), key, value, separated by key.separator and ended by line.separator; a null
/// key, value or header value prints as null.literal. Keys and values are written as their raw bytes. Configured by
/// --property print.timestamp, print.partition, print.offset, print.headers, print.key, print.value, key.separator,
/// line.separator, headers.separator, null.literal. Not thread-safe.
/// </summary>
internal sealed class DefaultMessageFormatter
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "print.timestamp", "print.key", "print.value", "print.partition", "print.offset", "print.headers",
        "key.separator", "line.separator", "headers.separator", "null.literal",
    };

    private readonly bool _printTimestamp;
    private readonly bool _printKey;
    private readonly bool _printValue = true;
    private readonly bool _printPartition;
    private readonly bool _printOffset;
    private readonly bool _printHeaders;
    private readonly byte[] _keySeparator = "\t"u8.ToArray();
    private readonly byte[] _lineSeparator = "\n"u8.ToArray();
    private readonly byte[] _headersSeparator = ","u8.ToArray();
    private readonly byte[] _nullLiteral = "null"u8.ToArray();

    public DefaultMessageFormatter(IReadOnlyDictionary<string, string> properties)
    {
        foreach (var key in properties.Keys)
        {
            if (!Known.Contains(key))
            {
                throw new UsageException($"unknown --property '{key}' (known: {string.Join(", ", Known)})");
            }
        }
        _printTimestamp = Bool(properties, "print.timestamp", false);
        _printKey = Bool(properties, "print.key", false);
        _printValue = Bool(properties, "print.value", true);
        _printPartition = Bool(properties, "print.partition", false);
        _printOffset = Bool(properties, "print.offset", false);
        _printHeaders = Bool(properties, "print.headers", false);
        _keySeparator = Bytes(properties, "key.separator") ?? _keySeparator;
        _lineSeparator = Bytes(properties, "line.separator") ?? _lineSeparator;
        _headersSeparator = Bytes(properties, "headers.separator") ?? _headersSeparator;
        _nullLiteral = Bytes(properties, "null.literal") ?? _nullLiteral;
    }

    /// <summary>Writes one record.</summary>
    public void Write(Stream output, TimestampType timestampType, long timestampMs, int partition, long offset, Headers? headers, byte[]? key, byte[]? value)
    {
        if (_printTimestamp)
        {
            Ascii(output, timestampType switch
            {
                TimestampType.CreateTime => "CreateTime:" + timestampMs.ToString(CultureInfo.InvariantCulture),
                TimestampType.LogAppendTime => "LogAppendTime:" + timestampMs.ToString(CultureInfo.InvariantCulture),
                _ => "NO_TIMESTAMP",
            });
            Separator(output, _printPartition || _printOffset || _printHeaders || _printKey || _printValue);
        }
        if (_printPartition)
        {
            Ascii(output, "Partition:" + partition.ToString(CultureInfo.InvariantCulture));
            Separator(output, _printOffset || _printHeaders || _printKey || _printValue);
        }
        if (_printOffset)
        {
            Ascii(output, "Offset:" + offset.ToString(CultureInfo.InvariantCulture));
            Separator(output, _printHeaders || _printKey || _printValue);
        }
        if (_printHeaders)
        {
            if (headers is null || headers.Count == 0)
            {
                Ascii(output, "NO_HEADERS");
            }
            else
            {
                for (int i = 0; i < headers.Count; i++)
                {
                    output.Write(Encoding.UTF8.GetBytes(headers[i].Key + ":"));
                    output.Write(headers[i].Value ?? _nullLiteral);
                    if (i + 1 < headers.Count)
                    {
                        output.Write(_headersSeparator);
                    }
                }
            }
            Separator(output, _printKey || _printValue);
        }
        if (_printKey)
        {
            output.Write(key ?? _nullLiteral);
            Separator(output, _printValue);
        }
        if (_printValue)
        {
            output.Write(value ?? _nullLiteral);
            output.Write(_lineSeparator);
        }
    }

    private void Separator(Stream output, bool column) => output.Write(column ? _keySeparator : _lineSeparator);

    private static void Ascii(Stream output, string text) => output.Write(Encoding.ASCII.GetBytes(text));

    private static bool Bool(IReadOnlyDictionary<string, string> properties, string key, bool fallback) =>
        properties.TryGetValue(key, out var value) ? value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) : fallback;

    private static byte[]? Bytes(IReadOnlyDictionary<string, string> properties, string key) =>
        properties.TryGetValue(key, out var value) ? Encoding.UTF8.GetBytes(value) : null;
}
