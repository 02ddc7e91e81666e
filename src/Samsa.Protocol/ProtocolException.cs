namespace Samsa.Protocol;

/// <summary>Malformed bytes on the wire: the connection that sent them is closed.</summary>
public sealed class ProtocolException(string message) : Exception(message);
