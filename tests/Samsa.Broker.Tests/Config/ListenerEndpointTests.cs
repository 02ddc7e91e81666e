using Samsa.Broker.Config;

namespace Samsa.Broker.Tests.Config;

public sealed class ListenerEndpointTests
{
    private static readonly Dictionary<string, string> NoEnvironment = new();

    private static BrokerConfig Load(params string[] overrides) => BrokerConfigLoader.Load(null, overrides, NoEnvironment).Config;

    private static ConfigException LoadFails(params string[] overrides) =>
        Assert.Throws<ConfigException>(() => BrokerConfigLoader.Load(null, overrides, NoEnvironment));

    [Theory]
    [InlineData("PLAINTEXT://127.0.0.1:9092", "PLAINTEXT", "127.0.0.1", 9092)]
    [InlineData("PLAINTEXT://:9092", "PLAINTEXT", "", 9092)]
    [InlineData("PLAINTEXT://0.0.0.0:0", "PLAINTEXT", "0.0.0.0", 0)]
    [InlineData("plaintext://broker-1.example.com:65535", "PLAINTEXT", "broker-1.example.com", 65535)]
    [InlineData("PLAINTEXT://[::1]:9092", "PLAINTEXT", "::1", 9092)]
    [InlineData("PLAINTEXT://[::]:9093", "PLAINTEXT", "::", 9093)]
    [InlineData("PLAINTEXT://[fe80::1%eth0]:9092", "PLAINTEXT", "fe80::1%eth0", 9092)]
    public void Listener_forms_parse(string text, string name, string host, int port)
    {
        var config = Load("listeners=" + text);

        Assert.Equal([new ListenerEndpoint(name, host, port)], config.Listeners);
    }

    [Fact]
    public void Several_listeners_with_names_mapped_to_plaintext_parse()
    {
        var config = Load(
            "listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT",
            "listeners=INTERNAL://127.0.0.1:9092, EXTERNAL://:0",
            "inter.broker.listener.name=internal");

        Assert.Equal(
            [new ListenerEndpoint("INTERNAL", "127.0.0.1", 9092), new ListenerEndpoint("EXTERNAL", "", 0)],
            config.Listeners);
        Assert.Equal("INTERNAL", config.InterBrokerListenerName);
    }

    [Theory]
    [InlineData("PLAINTEXT://127.0.0.1:9092", "PLAINTEXT://127.0.0.1:9092")]
    [InlineData("PLAINTEXT://:0", "PLAINTEXT://:0")]
    [InlineData("PLAINTEXT://[::1]:9092", "PLAINTEXT://[::1]:9092")]
    public void ToString_gives_the_configured_form(string text, string expected)
    {
        Assert.Equal(expected, Load("listeners=" + text).Listeners[0].ToString());
    }

    [Fact]
    public void Wildcard_hosts_are_recognised()
    {
        Assert.True(new ListenerEndpoint("PLAINTEXT", "", 1).IsWildcardHost);
        Assert.True(new ListenerEndpoint("PLAINTEXT", "0.0.0.0", 1).IsWildcardHost);
        Assert.True(new ListenerEndpoint("PLAINTEXT", "::", 1).IsWildcardHost);
        Assert.False(new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 1).IsWildcardHost);
    }

    [Theory]
    [InlineData("localhost:9092", "is not a listener")]
    [InlineData("http//localhost:9092", "is not a listener")]
    [InlineData("://localhost:9092", "is not a listener")]
    [InlineData("PLAIN TEXT://localhost:9092", "not a valid listener name")]
    [InlineData("PLAINTEXT://localhost", "has no port")]
    [InlineData("PLAINTEXT://localhost:", "is not a port")]
    [InlineData("PLAINTEXT://localhost:http", "is not a port")]
    [InlineData("PLAINTEXT://localhost:-1", "is not a port")]
    [InlineData("PLAINTEXT://localhost:65536", "is not a port")]
    [InlineData("PLAINTEXT://::1:9092", "IPv6 address without brackets")]
    [InlineData("PLAINTEXT://[::1:9092", "malformed bracketed host")]
    [InlineData("PLAINTEXT://[::1]9092", "malformed bracketed host")]
    [InlineData("PLAINTEXT://[localhost]:9092", "not an IPv6 address")]
    [InlineData("PLAINTEXT://local/host:9092", "is not a valid host")]
    [InlineData("HTTP://localhost:9092", "no security protocol in listener.security.protocol.map")]
    [InlineData("SSL://localhost:9093", "security protocol SSL")]
    [InlineData("SASL_PLAINTEXT://localhost:9093", "security protocol SASL_PLAINTEXT")]
    [InlineData("PLAINTEXT://a:9092,PLAINTEXT://b:9093", "appears twice")]
    public void Bad_listeners_throw_naming_the_key_and_value(string text, string reason)
    {
        var e = LoadFails("listeners=" + text);

        Assert.Equal("listeners", e.Key);
        Assert.StartsWith($"Invalid value '{text}' for configuration 'listeners': ", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Theory]
    [InlineData("A://:9092,B://127.0.0.1:9092")]
    [InlineData("A://127.0.0.1:9092,B://127.0.0.1:9092")]
    public void Two_listeners_on_one_port_are_rejected(string text)
    {
        var e = LoadFails("listener.security.protocol.map=A:PLAINTEXT,B:PLAINTEXT", "listeners=" + text);

        Assert.Equal("listeners", e.Key);
        Assert.Contains("both bind port 9092", e.Message);
    }

    [Fact]
    public void Two_listeners_on_port_zero_or_on_different_hosts_are_accepted()
    {
        var config = Load(
            "listener.security.protocol.map=A:PLAINTEXT,B:PLAINTEXT,C:PLAINTEXT,D:PLAINTEXT",
            "listeners=A://:0,B://:0,C://127.0.0.1:9092,D://127.0.0.2:9092");

        Assert.Equal(4, config.Listeners.Count);
    }

    [Fact]
    public void Empty_listeners_is_an_error()
    {
        Assert.Equal("listeners", LoadFails("listeners= , ").Key);
    }

    [Fact]
    public void Advertised_listeners_default_to_listeners()
    {
        var config = Load("listeners=PLAINTEXT://:0");

        Assert.Null(config.AdvertisedListeners);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "", 0)], config.EffectiveAdvertisedListeners);
    }

    [Fact]
    public void Advertised_listeners_parse_and_are_effective()
    {
        var config = Load("listeners=PLAINTEXT://0.0.0.0:9092", "advertised.listeners=PLAINTEXT://broker.example.com:19092");

        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "broker.example.com", 19092)], config.EffectiveAdvertisedListeners);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "0.0.0.0", 9092)], config.Listeners);
    }

    [Fact]
    public void Advertised_listener_must_name_a_listener()
    {
        var e = LoadFails(
            "listener.security.protocol.map=A:PLAINTEXT,B:PLAINTEXT",
            "listeners=A://:9092",
            "advertised.listeners=B://host:9092");

        Assert.Equal("advertised.listeners", e.Key);
        Assert.Contains("B", e.Message);
    }

    [Theory]
    [InlineData("PLAINTEXT://0.0.0.0:9092")]
    [InlineData("PLAINTEXT://[::]:9092")]
    public void Advertised_listener_cannot_be_a_wildcard_address(string text)
    {
        var e = LoadFails("advertised.listeners=" + text);

        Assert.Equal("advertised.listeners", e.Key);
        Assert.Contains("non-routable", e.Message);
    }

    [Fact]
    public void Advertised_listener_with_bad_syntax_names_advertised_listeners()
    {
        var e = LoadFails("advertised.listeners=nonsense");

        Assert.Equal("advertised.listeners", e.Key);
        Assert.Contains("'nonsense'", e.Message);
    }

    [Theory]
    [InlineData("PLAINTEXT")]
    [InlineData("PLAINTEXT:TLS")]
    [InlineData(":PLAINTEXT")]
    [InlineData("A:PLAINTEXT,A:SSL")]
    public void Bad_security_protocol_map_names_its_key(string map)
    {
        var e = LoadFails("listener.security.protocol.map=" + map);

        Assert.Equal("listener.security.protocol.map", e.Key);
        Assert.Contains($"'{map}'", e.Message);
    }

    [Fact]
    public void Non_plaintext_inter_broker_protocol_is_rejected()
    {
        var e = LoadFails("security.inter.broker.protocol=SSL");

        Assert.Equal("security.inter.broker.protocol", e.Key);
        Assert.Contains("PLAINTEXT", e.Message);
    }

    [Fact]
    public void Inter_broker_listener_name_and_protocol_cannot_both_be_set()
    {
        var e = LoadFails("inter.broker.listener.name=PLAINTEXT", "security.inter.broker.protocol=PLAINTEXT");

        Assert.Equal("security.inter.broker.protocol", e.Key);
    }

    [Fact]
    public void In_a_cluster_the_inter_broker_listener_must_be_advertised()
    {
        var e = LoadFails(
            "zookeeper.connect=127.0.0.1:2181",
            "listener.security.protocol.map=CLIENT:PLAINTEXT",
            "listeners=CLIENT://:9092");

        Assert.Equal("security.inter.broker.protocol", e.Key);
        Assert.Contains("CLIENT", e.Message);
    }
}
