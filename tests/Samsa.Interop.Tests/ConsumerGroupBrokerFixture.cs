using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests;

/// <summary>
/// One broker shared by the consumer-group and transaction tests of a class,
/// tuned so groups rebalance in seconds: short session timeouts allowed, no
/// initial rebalance delay, small __consumer_offsets and __transaction_state.
/// Each test uses its own topics, groups and transactional ids.
/// </summary>
public sealed class ConsumerGroupBrokerFixture : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string> Overrides = new Dictionary<string, string>
    {
        ["group.min.session.timeout.ms"] = "1000",
        ["group.initial.rebalance.delay.ms"] = "0",
        ["offsets.topic.num.partitions"] = "5",
        ["transaction.state.log.num.partitions"] = "5",
    };

    private BrokerProcess? _broker;

    public BrokerProcess Broker => _broker ?? throw new InvalidOperationException("the broker did not start");

    public async Task InitializeAsync() => _broker = await BrokerProcess.LaunchAsync(Overrides);

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}
