namespace Samsa.Interop.Tests.Clients;

/// <summary>The real clients the interop tests drive, by the names test cases use.</summary>
public static class InteropClients
{
    public static readonly InteropClient Kcat = new KcatClient();

    public static readonly InteropClient ConfluentKafka =
        new PythonClient("confluent-kafka-python", "confluent_client.py", "confluent_kafka", "python3-confluent-kafka", sendsNullHeaderValues: true);

    public static readonly InteropClient KafkaPython =
        new PythonClient("kafka-python", "kafka_python_client.py", "kafka", "python3-kafka", sendsNullHeaderValues: false);

    public static readonly InteropClient KafkaJs = new KafkaJsClient();

    public static IReadOnlyList<InteropClient> All { get; } = [Kcat, ConfluentKafka, KafkaPython, KafkaJs];

    /// <summary>The client that creates topics for clients without an admin API.</summary>
    public static InteropClient DefaultAdmin => ConfluentKafka;

    public static InteropClient ByName(string name) =>
        All.FirstOrDefault(c => c.Name == name) ?? throw new ArgumentException($"no interop client named {name}", nameof(name));
}
