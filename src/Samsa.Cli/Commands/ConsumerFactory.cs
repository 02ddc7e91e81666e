using Samsa.Client.Config;
using Samsa.Client.Consumer;

namespace Samsa.Cli.Commands;

/// <summary>Builds the raw-bytes consumers the tools use. Stateless.</summary>
internal static class ConsumerFactory
{
    /// <summary>A builder of byte-key, byte-value consumers; Build throws <see cref="ArgumentException"/> naming a bad setting.</summary>
    public static ConsumerBuilder<byte[]?, byte[]?> Builder(ConsumerConfig config) => new(config);

    public static IConsumer<byte[]?, byte[]?> Create(ConsumerConfig config) => Builder(config).Build();
}
