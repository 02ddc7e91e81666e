namespace Samsa.Client.Config;

/// <summary>An admin client's settings; see <see cref="ClientConfig"/>.</summary>
public sealed class AdminClientConfig : ClientConfig
{
    public AdminClientConfig()
    {
    }

    public AdminClientConfig(IEnumerable<KeyValuePair<string, string>> properties)
        : base(properties)
    {
    }
}
