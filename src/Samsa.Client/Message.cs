namespace Samsa.Client;

/// <summary>A record to produce or one consumed: key, value, headers and timestamp.</summary>
public class Message<TKey, TValue>
{
    public TKey Key { get; set; } = default!;

    public TValue Value { get; set; } = default!;

    /// <summary>Null sends no headers.</summary>
    public Headers? Headers { get; set; }

    /// <summary><see cref="Timestamp.Default"/> lets the producer stamp the send time.</summary>
    public Timestamp Timestamp { get; set; } = Timestamp.Default;
}
