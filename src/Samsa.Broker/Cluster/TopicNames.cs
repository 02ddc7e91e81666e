namespace Samsa.Broker.Cluster;

/// <summary>Kafka's rules for topic names: 1-249 characters of [a-zA-Z0-9._-], and not "." or "..".</summary>
internal static class TopicNames
{
    public const int MaxLength = 249;

    /// <summary>Topics the broker itself writes: clients may read them but not produce to or delete them.</summary>
    public static bool IsInternal(string name) => name is "__consumer_offsets" or "__transaction_state";

    public static bool IsValid(string? name, out string reason)
    {
        if (string.IsNullOrEmpty(name))
        {
            reason = "Topic name is empty";
            return false;
        }
        if (name is "." or "..")
        {
            reason = $"Topic name cannot be \"{name}\"";
            return false;
        }
        if (name.Length > MaxLength)
        {
            reason = $"Topic name is longer than {MaxLength} characters";
            return false;
        }
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                reason = $"Topic name \"{name}\" is illegal: it contains a character other than ASCII alphanumerics, '.', '_' and '-'";
                return false;
            }
        }
        reason = "";
        return true;
    }
}
