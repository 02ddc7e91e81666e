namespace Samsa.Broker.Config;

/// <summary>Where the effective value of a broker configuration key came from, lowest precedence first.</summary>
public enum ConfigSource
{
    /// <summary>Nobody set the key; the value is Samsa's default.</summary>
    Default = 0,

    /// <summary>The key was set in the <c>server.properties</c> file.</summary>
    File = 1,

    /// <summary>The key was set through a <c>SAMSA_</c> environment variable.</summary>
    Environment = 2,

    /// <summary>The key was set with <c>--override key=value</c>.</summary>
    Override = 3,
}
