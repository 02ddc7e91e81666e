namespace Samsa.Interop.Tests.Model;

/// <summary>A record header as text (a null value stays null).</summary>
public sealed record Header(string Key, string? Value)
{
    public override string ToString() => Value is null ? $"{Key}=<null>" : $"{Key}={Value}";
}
