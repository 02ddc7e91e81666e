using Samsa.Client;
using Samsa.Client.Config;
using Samsa.Client.Consumer;

namespace Samsa.Cli.Commands;

/// <summary>Builds the raw-bytes consumers the tools use. Stateless.</summary>
internal static class ConsumerFactory
{
    /// <summary>A consumer of byte keys and values; a bad setting throws <see cref="ArgumentException"/> naming it.</summary>
    public static IConsumer<byte[]?, byte[]?> Create(ConsumerConfig config) =>
        throw new NotImplementedException("the consumer is not merged yet");
}
