namespace Samsa.Interop.Tests.Clients;

/// <summary>
/// A real client's consumer-group member driver: the script that runs one
/// long-lived member and prints what it consumes (see <see cref="GroupMember"/>).
/// </summary>
public sealed class GroupMemberClient
{
    public static readonly GroupMemberClient ConfluentKafka = new(
        InteropClients.ConfluentKafka, "/usr/bin/python3", Path.Combine("python", "group_member_confluent.py"), supportsStaticMembership: true);

    public static readonly GroupMemberClient KafkaPython = new(
        InteropClients.KafkaPython, "/usr/bin/python3", Path.Combine("python", "group_member_kafka_python.py"), supportsStaticMembership: false);

    public static readonly GroupMemberClient KafkaJs = new(
        InteropClients.KafkaJs, "node", Path.Combine("node", "group_member.js"), supportsStaticMembership: false);

    private readonly InteropClient _client;
    private readonly string _relativeScript;

    private GroupMemberClient(InteropClient client, string interpreter, string relativeScript, bool supportsStaticMembership)
    {
        _client = client;
        Interpreter = interpreter;
        _relativeScript = relativeScript;
        SupportsStaticMembership = supportsStaticMembership;
    }

    public static IReadOnlyList<GroupMemberClient> All { get; } = [ConfluentKafka, KafkaPython, KafkaJs];

    /// <summary>Client names for [Theory] cases, so a failure names the client.</summary>
    public static TheoryData<string> Names => new(All.Select(c => c.Name));

    public string Name => _client.Name;

    public string Interpreter { get; }

    public string ScriptPath => Path.Combine(ClientPaths.ClientsDirectory, _relativeScript);

    /// <summary>Whether the client can send group.instance.id (kafka-python 2.0.2 and KafkaJS 2.2.4 cannot).</summary>
    public bool SupportsStaticMembership { get; }

    public static GroupMemberClient ByName(string name) =>
        All.FirstOrDefault(c => c.Name == name) ?? throw new ArgumentException($"no group member client named {name}", nameof(name));

    /// <summary>Fails with installation instructions when the client is missing.</summary>
    public Task EnsureInstalledAsync() => _client.EnsureInstalledAsync();

    public override string ToString() => Name;
}
