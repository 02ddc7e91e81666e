using System.Collections;
using System.Globalization;

namespace Samsa.Client.Config;

/// <summary>
/// Client settings by the names librdkafka and the Java client use (<c>bootstrap.servers</c>, <c>linger.ms</c>, ...),
/// also reachable as typed properties. Aliases (for example <c>queue.buffering.max.ms</c> for <c>linger.ms</c>) are
/// stored under the canonical name. Values are checked when a client is built (<see cref="Resolve"/>), which names
/// the key of any bad value. Not thread-safe while being filled; read-only once handed to a builder.
/// </summary>
public class ClientConfig : IEnumerable<KeyValuePair<string, string>>
{
    private readonly Dictionary<string, string> _properties = new(StringComparer.Ordinal);

    public ClientConfig()
    {
    }

    public ClientConfig(IEnumerable<KeyValuePair<string, string>> properties)
    {
        foreach (var (key, value) in properties)
        {
            Set(key, value);
        }
    }

    /// <summary>Sets a property by any of its names; an unknown name is kept and refused by <see cref="Resolve"/>.</summary>
    public void Set(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _properties[ConfigProperties.Find(key)?.Name ?? key] = value;
    }

    /// <summary>The value set for a property (by any of its names), or null.</summary>
    public string? Get(string key) => _properties.GetValueOrDefault(ConfigProperties.Find(key)?.Name ?? key);

    public string? BootstrapServers { get => Get("bootstrap.servers"); set => SetOrRemove("bootstrap.servers", value); }

    public string? ClientId { get => Get("client.id"); set => SetOrRemove("client.id", value); }

    public int? RequestTimeoutMs { get => GetInt("request.timeout.ms"); set => SetOrRemove("request.timeout.ms", value); }

    public int? MetadataMaxAgeMs { get => GetInt("metadata.max.age.ms"); set => SetOrRemove("metadata.max.age.ms", value); }

    public int? ReconnectBackoffMs { get => GetInt("reconnect.backoff.ms"); set => SetOrRemove("reconnect.backoff.ms", value); }

    public int? ReconnectBackoffMaxMs { get => GetInt("reconnect.backoff.max.ms"); set => SetOrRemove("reconnect.backoff.max.ms", value); }

    public int? RetryBackoffMs { get => GetInt("retry.backoff.ms"); set => SetOrRemove("retry.backoff.ms", value); }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _properties.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    protected void SetOrRemove(string key, string? value)
    {
        if (value is null)
        {
            _properties.Remove(key);
        }
        else
        {
            _properties[key] = value;
        }
    }

    protected void SetOrRemove(string key, int? value) => SetOrRemove(key, value?.ToString(CultureInfo.InvariantCulture));

    protected void SetOrRemove(string key, long? value) => SetOrRemove(key, value?.ToString(CultureInfo.InvariantCulture));

    protected void SetOrRemove(string key, bool? value) => SetOrRemove(key, value is null ? null : value.Value ? "true" : "false");

    protected int? GetInt(string key) => Get(key) is { } s && int.TryParse(s, CultureInfo.InvariantCulture, out int v) ? v : null;

    protected long? GetLong(string key) => Get(key) is { } s && long.TryParse(s, CultureInfo.InvariantCulture, out long v) ? v : null;

    protected bool? GetBool(string key) => Get(key) is { } s ? ConfigProperties.Normalize(ConfigProperties.Find(key)!, s) == "true" : null;

    /// <summary>
    /// Checks every property for a client of <paramref name="scope"/> and returns the effective settings, defaults
    /// included. Throws <see cref="ArgumentException"/> naming the first unknown key or bad value.
    /// </summary>
    internal ResolvedConfig Resolve(ConfigScope scope)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in ConfigProperties.All)
        {
            if ((property.Scope & scope) != 0 && property.Default is not null)
            {
                values[property.Name] = property.Default;
            }
        }
        foreach (var (key, value) in _properties)
        {
            var property = ConfigProperties.Find(key)
                ?? throw new ArgumentException($"no such configuration property: \"{key}\"");
            if ((property.Scope & scope) == 0)
            {
                throw new ArgumentException($"configuration property \"{key}\" does not apply to a {scope.ToString().ToLowerInvariant()}");
            }
            values[property.Name] = ConfigProperties.Normalize(property, value);
        }
        if (!values.TryGetValue("bootstrap.servers", out string? servers) || string.IsNullOrWhiteSpace(servers))
        {
            throw new ArgumentException("configuration property \"bootstrap.servers\" is required");
        }
        return new ResolvedConfig(values);
    }
}

/// <summary>Checked settings with defaults filled in. Immutable.</summary>
internal sealed class ResolvedConfig(IReadOnlyDictionary<string, string> values)
{
    public string? String(string key) => values.GetValueOrDefault(key);

    public int Int(string key) => int.Parse(values[key], CultureInfo.InvariantCulture);

    public long Long(string key) => long.Parse(values[key], CultureInfo.InvariantCulture);

    public bool Bool(string key) => values[key] == "true";

    public bool IsSet(string key) => values.ContainsKey(key);
}
