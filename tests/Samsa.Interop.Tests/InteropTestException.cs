namespace Samsa.Interop.Tests;

/// <summary>An interop test failure, with the broker's output attached to the message.</summary>
public sealed class InteropTestException : Exception
{
    public InteropTestException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
