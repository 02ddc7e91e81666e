namespace Samsa.Interop.Tests.Model;

/// <summary>
/// What a consumer read. <see cref="Complete"/> is true when it reached the
/// end of every partition with at least the requested count before its deadline.
/// </summary>
public sealed record ConsumeResult(IReadOnlyList<ConsumedRecord> Records, bool Complete, IReadOnlyList<string> Errors, string Diagnostics);
