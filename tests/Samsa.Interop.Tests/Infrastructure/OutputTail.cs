namespace Samsa.Interop.Tests.Infrastructure;

/// <summary>
/// Keeps the last lines a child process wrote, for failure messages.
/// Thread-safe: stdout and stderr readers add lines concurrently.
/// </summary>
public sealed class OutputTail
{
    private readonly Queue<string> _lines = new();
    private readonly int _capacity;
    private readonly Lock _lock = new();
    private long _dropped;

    public OutputTail(int capacity) => _capacity = capacity;

    public void Add(string line)
    {
        lock (_lock)
        {
            if (_lines.Count == _capacity)
            {
                _lines.Dequeue();
                _dropped++;
            }
            _lines.Enqueue(line);
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            var prefix = _dropped > 0 ? $"  ... ({_dropped} earlier lines dropped)\n" : "";
            return prefix + string.Join('\n', _lines.Select(l => "  " + l));
        }
    }
}
