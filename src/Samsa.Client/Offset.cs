using System.Globalization;

namespace Samsa.Client;

/// <summary>A position in a partition, or one of the special positions Kafka's clients use.</summary>
public readonly record struct Offset(long Value)
{
    /// <summary>The first record still in the log.</summary>
    public static readonly Offset Beginning = new(-2);

    /// <summary>After the last record: only new records.</summary>
    public static readonly Offset End = new(-1);

    /// <summary>The committed offset, else auto.offset.reset.</summary>
    public static readonly Offset Stored = new(-1000);

    /// <summary>No offset.</summary>
    public static readonly Offset Unset = new(-1001);

    public bool IsSpecial => Value < 0;

    public static implicit operator Offset(long value) => new(value);

    public static implicit operator long(Offset offset) => offset.Value;

    public override string ToString() => Value switch
    {
        -2 => "Beginning",
        -1 => "End",
        -1000 => "Stored",
        -1001 => "Unset",
        _ => Value.ToString(CultureInfo.InvariantCulture),
    };
}
