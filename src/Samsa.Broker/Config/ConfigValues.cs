namespace Samsa.Broker.Config;

/// <summary>
/// Parsed values of a key table by name, with typed accessors. Asking for a name that is not in
/// the table, or with the wrong type, is a programming error and throws InvalidOperationException.
/// Not thread-safe while being filled; read-only afterwards.
/// </summary>
internal sealed class ConfigValues
{
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);

    public void Set(string name, object? value) => _values[name] = value;

    public bool Bool(string name) => Get(name) is bool value ? value : throw WrongType(name, "bool");

    public short Short(string name) => Get(name) is short value ? value : throw WrongType(name, "short");

    public int Int(string name) => Get(name) switch
    {
        int value => value,
        short value => value,
        _ => throw WrongType(name, "int"),
    };

    public int? NullableInt(string name) => Get(name) switch
    {
        null => null,
        int value => value,
        _ => throw WrongType(name, "int"),
    };

    public long Long(string name) => Get(name) switch
    {
        long value => value,
        int value => value,
        _ => throw WrongType(name, "long"),
    };

    public long? NullableLong(string name) => Get(name) switch
    {
        null => null,
        long value => value,
        _ => throw WrongType(name, "long"),
    };

    public double Double(string name) => Get(name) is double value ? value : throw WrongType(name, "double");

    public string String(string name) => Get(name) is string value ? value : throw WrongType(name, "string");

    public string? NullableString(string name) => Get(name) switch
    {
        null => null,
        string value => value,
        _ => throw WrongType(name, "string"),
    };

    public IReadOnlyList<string> List(string name) => Get(name) is string[] value ? value : throw WrongType(name, "list");

    public IReadOnlyList<string>? NullableList(string name) => Get(name) switch
    {
        null => null,
        string[] value => value,
        _ => throw WrongType(name, "list"),
    };

    private object? Get(string name) =>
        _values.TryGetValue(name, out var value)
            ? value
            : throw new InvalidOperationException($"'{name}' is not a defined configuration key.");

    private static InvalidOperationException WrongType(string name, string type) =>
        new($"Configuration key '{name}' is not of type {type}.");
}
