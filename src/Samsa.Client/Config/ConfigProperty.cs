namespace Samsa.Client.Config;

/// <summary>Which clients read a property.</summary>
[Flags]
internal enum ConfigScope
{
    Producer = 1,
    Consumer = 2,
    Admin = 4,
    All = Producer | Consumer | Admin,
}

/// <summary>How a property's value is written.</summary>
internal enum ConfigType
{
    String,
    Int,
    Long,
    Bool,
    Enum,
}

/// <summary>
/// One client setting: its canonical name (librdkafka's and Java's where they agree), the other names it is known
/// by, its type, range and default. Immutable.
/// </summary>
internal sealed record ConfigProperty(string Name, ConfigScope Scope, ConfigType Type, string? Default, string Description)
{
    public string[] Aliases { get; init; } = [];

    public long Min { get; init; } = long.MinValue;

    public long Max { get; init; } = long.MaxValue;

    /// <summary>The accepted words of an enum property (lower case); other spellings map through <see cref="Synonyms"/>.</summary>
    public string[] Allowed { get; init; } = [];

    /// <summary>Other spellings of allowed words, for example librdkafka's "smallest" for "earliest".</summary>
    public IReadOnlyDictionary<string, string> Synonyms { get; init; } = new Dictionary<string, string>();
}
