using System.Diagnostics.CodeAnalysis;

namespace Samsa.Protocol.Records;

/// <summary>Keeps throw sites out of the parsing loops so the JIT can inline them.</summary>
internal static class RecordThrowHelper
{
    [DoesNotReturn]
    public static void ThrowInvalidRecord(string message) => throw new InvalidRecordException(message);

    [DoesNotReturn]
    public static void ThrowArgument(string message, string paramName) => throw new ArgumentException(message, paramName);
}
