namespace Samsa.Cli.Commands;

/// <summary>
/// Client settings given on the command line as `key=value` words or in a Java-style properties file, in the order
/// Kafka's tools apply them: the file first, then the words, so the words win. Java-only settings the tools set
/// themselves (serializer and deserializer classes) are dropped, since Samsa's tools always move raw bytes.
/// Stateless.
/// </summary>
internal static class ClientProperties
{
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal)
    {
        "key.serializer", "value.serializer", "key.deserializer", "value.deserializer",
    };

    /// <summary>Reads the file (if any) then the words; a malformed word or unreadable file is a usage error.</summary>
    public static List<KeyValuePair<string, string>> Collect(string? file, IEnumerable<string> words, string option)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (file is not null)
        {
            result.AddRange(LoadFile(file));
        }
        foreach (var word in words)
        {
            result.Add(ParseWord(word, option));
        }
        result.RemoveAll(p => Ignored.Contains(p.Key));
        return result;
    }

    /// <summary>`key=value`, split at the first '='.</summary>
    public static KeyValuePair<string, string> ParseWord(string word, string option)
    {
        int eq = word.IndexOf('=');
        if (eq <= 0)
        {
            throw new UsageException($"{option} expects key=value, got '{word}'");
        }
        return new(word[..eq].Trim(), word[(eq + 1)..]);
    }

    /// <summary>
    /// A Java properties file: one `key=value` (or `key: value`, or `key value`) per line; lines starting with '#'
    /// or '!' are comments; a trailing backslash continues the line.
    /// </summary>
    public static List<KeyValuePair<string, string>> LoadFile(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
        var result = new List<KeyValuePair<string, string>>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimStart();
            while (line.EndsWith('\\') && i + 1 < lines.Length)
            {
                line = line[..^1] + lines[++i].TrimStart();
            }
            if (line.Length == 0 || line[0] is '#' or '!')
            {
                continue;
            }
            int split = line.IndexOfAny(['=', ':', ' ', '\t']);
            if (split < 0)
            {
                result.Add(new(line, ""));
                continue;
            }
            string key = line[..split];
            string rest = line[(split + 1)..].TrimStart();
            if (line[split] is ' ' or '\t' && rest.Length > 0 && rest[0] is '=' or ':')
            {
                rest = rest[1..].TrimStart();
            }
            result.Add(new(key, rest));
        }
        return result;
    }
}
