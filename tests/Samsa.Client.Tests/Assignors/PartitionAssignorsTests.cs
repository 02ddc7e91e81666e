using Samsa.Client.Consumer.Assignors;

namespace Samsa.Client.Tests.Assignors;

public sealed class PartitionAssignorsTests
{
    [Theory]
    [InlineData("range", "range")]
    [InlineData("org.apache.kafka.clients.consumer.RangeAssignor", "range")]
    [InlineData("roundrobin", "roundrobin")]
    [InlineData("org.apache.kafka.clients.consumer.RoundRobinAssignor", "roundrobin")]
    [InlineData("cooperative-sticky", "cooperative-sticky")]
    [InlineData(" org.apache.kafka.clients.consumer.CooperativeStickyAssignor ", "cooperative-sticky")]
    public void Finds_assignors_by_librdkafka_and_java_names(string name, string protocolName)
    {
        Assert.True(PartitionAssignors.TryGet(name, out var assignor));
        Assert.Equal(protocolName, assignor.Name);
    }

    [Fact]
    public void Only_cooperative_sticky_follows_the_cooperative_protocol()
    {
        Assert.Equal(RebalanceProtocol.Eager, PartitionAssignors.Range.Protocol);
        Assert.Equal(RebalanceProtocol.Eager, PartitionAssignors.RoundRobin.Protocol);
        Assert.Equal(RebalanceProtocol.Cooperative, PartitionAssignors.CooperativeSticky.Protocol);
    }

    [Fact]
    public void Parses_a_strategy_list_in_preference_order()
    {
        var assignors = PartitionAssignors.Parse("roundrobin, range,roundrobin");
        Assert.Equal(["roundrobin", "range"], assignors.Select(a => a.Name));
    }

    [Theory]
    [InlineData("sticky")]
    [InlineData("")]
    [InlineData("range,cooperative-sticky")]
    public void Refuses_unknown_empty_or_mixed_protocol_lists(string strategies)
    {
        Assert.Throws<ArgumentException>(() => PartitionAssignors.Parse(strategies));
    }
}
