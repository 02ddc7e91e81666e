namespace Samsa.Interop.Tests.Infrastructure;

/// <summary>A client process failed, timed out or could not start.</summary>
public sealed class ClientProcessException : Exception
{
    public ClientProcessException(string message)
        : base(message)
    {
    }

    public ClientProcessException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
