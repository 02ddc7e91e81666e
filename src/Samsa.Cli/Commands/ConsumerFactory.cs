using Samsa.Client.Config;
using Samsa.Client.Consumer;

namespace Samsa.Cli.Commands;

/// <summary>Builds the raw-bytes consumers the tools use. Stateless.</summary>
internal static class ConsumerFactory
{
    /// <summary>A builder of byte-key, byte-value consumers; Build throws <see cref="ArgumentException"/> naming a bad setting.</summary>
    public static ConsumerBuilder<byte[]?, byte[]?> Builder(ConsumerConfig config) => new(config);

    public static IConsumer<byte[]?, byte[]?> Create(ConsumerConfig config) => Builder(config).Build();

    /// <summary>
    /// What to subscribe to from Kafka's `--topic NAME` or `--include REGEX` (exactly one): the name, or the pattern
    /// in the client's '^' form, matching whole topic names as Java's pattern subscription does.
    /// </summary>
    public static string Subscription(string? topic, string? include)
    {
        if ((topic is null) == (include is null))
        {
            throw new UsageException("give exactly one of --topic, --include");
        }
        if (topic is not null)
        {
            return topic;
        }
        try
        {
            _ = new System.Text.RegularExpressions.Regex(include!);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--include '{include}' is not a regular expression: {e.Message}");
        }
        return include!.StartsWith('^') ? include : "^(?:" + include + ")$";
    }
}
