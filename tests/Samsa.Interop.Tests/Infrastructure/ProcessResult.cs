namespace Samsa.Interop.Tests.Infrastructure;

/// <summary>What a finished client process did.</summary>
public sealed record ProcessResult(string CommandLine, int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    private const int ShownChars = 6000;

    public string Describe() =>
        $"command: {CommandLine}\nexit code: {ExitCode} after {Elapsed.TotalSeconds:F1} s\n" +
        $"--- stdout ---\n{Clip(Stdout)}\n--- stderr ---\n{Clip(Stderr)}";

    internal static string Clip(string text) =>
        text.Length <= ShownChars ? text : $"... ({text.Length - ShownChars} chars cut)\n" + text[^ShownChars..];
}
