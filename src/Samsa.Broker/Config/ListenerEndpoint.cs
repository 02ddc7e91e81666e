using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Samsa.Broker.Config;

/// <summary>
/// One entry of <c>listeners</c> or <c>advertised.listeners</c>: <c>NAME://host:port</c>.
/// <paramref name="Name"/> is the listener name in upper case (its security protocol comes from
/// <c>listener.security.protocol.map</c>); <paramref name="Host"/> is empty for all interfaces and
/// holds an IPv6 address without brackets; <paramref name="Port"/> 0 asks for an ephemeral port.
/// </summary>
public sealed record ListenerEndpoint(string Name, string Host, int Port)
{
    private const string Form = "expected NAME://host:port, for example PLAINTEXT://127.0.0.1:9092, PLAINTEXT://:9092 or PLAINTEXT://[::1]:9092";

    /// <summary>True when the listener binds every interface (empty host, 0.0.0.0 or ::).</summary>
    public bool IsWildcardHost => Host.Length == 0 || Host == "0.0.0.0" || Host == "::";

    /// <summary>The listener in the form it is configured: <c>NAME://host:port</c>, IPv6 hosts in brackets.</summary>
    public override string ToString() =>
        Host.Contains(':', StringComparison.Ordinal)
            ? $"{Name}://[{Host}]:{Port.ToString(CultureInfo.InvariantCulture)}"
            : $"{Name}://{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses one listener; on failure <paramref name="reason"/> says what is wrong and what is expected.</summary>
    internal static bool TryParse(string text, [NotNullWhen(true)] out ListenerEndpoint? endpoint, out string reason)
    {
        endpoint = null;
        var separator = text.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            reason = $"'{text}' is not a listener; {Form}";
            return false;
        }

        var name = text[..separator];
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
            {
                reason = $"'{name}' in '{text}' is not a valid listener name (letters, digits, '_' and '-'); {Form}";
                return false;
            }
        }

        var rest = text[(separator + 3)..];
        string host;
        string port;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= rest.Length || rest[close + 1] != ':')
            {
                reason = $"'{text}' has a malformed bracketed host; {Form}";
                return false;
            }

            host = rest[1..close];
            port = rest[(close + 2)..];
            if (!host.Contains(':', StringComparison.Ordinal))
            {
                reason = $"'{text}' has brackets around a host that is not an IPv6 address; {Form}";
                return false;
            }
        }
        else
        {
            var colon = rest.LastIndexOf(':');
            if (colon < 0)
            {
                reason = $"'{text}' has no port; {Form}";
                return false;
            }

            host = rest[..colon];
            port = rest[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                reason = $"'{text}' has an IPv6 address without brackets; {Form}";
                return false;
            }
        }

        foreach (var c in host)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '.' or '_' or '%' or ':'))
            {
                reason = $"'{host}' in '{text}' is not a valid host; {Form}";
                return false;
            }
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var portNumber) || portNumber > 65535)
        {
            reason = $"'{port}' in '{text}' is not a port; expected a port between 0 and 65535 (0 for an ephemeral port)";
            return false;
        }

        endpoint = new ListenerEndpoint(name.ToUpperInvariant(), host, portNumber);
        reason = string.Empty;
        return true;
    }
}
