using System.Globalization;
using System.Text;

namespace Samsa.Cli.Commands;

/// <summary>
/// A one-line progress bar redrawn in place with '\r', for long runs on a terminal: it appears only when
/// <c>interactive</c> (stdout is not redirected, so scripts never see it) and only once the run has lasted
/// <see cref="ShowAfter"/>; it is redrawn at most every <see cref="RedrawInterval"/>. Other output goes through
/// <see cref="WriteLine"/>, which clears the bar first. Thread-safe.
/// </summary>
internal sealed class ProgressBar
{
    public static readonly TimeSpan ShowAfter = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(200);
    private const int BarWidth = 30;

    private readonly Lock _lock = new();
    private readonly TextWriter _output;
    private readonly bool _interactive;
    private readonly TimeProvider _time;
    private readonly long _total;
    private readonly string _unit;
    private readonly long _startTimestamp;
    private long _lastDrawTimestamp;
    private int _drawnLength;

    public ProgressBar(TextWriter output, bool interactive, TimeProvider time, long total, string unit)
    {
        _output = output;
        _interactive = interactive;
        _time = time;
        _total = total;
        _unit = unit;
        _startTimestamp = time.GetTimestamp();
        _lastDrawTimestamp = _startTimestamp;
    }

    /// <summary>Whether the bar is on screen now.</summary>
    public bool Visible
    {
        get
        {
            lock (_lock)
            {
                return _drawnLength > 0;
            }
        }
    }

    /// <summary>Redraws the bar if it is due; cheap when it is not.</summary>
    public void Update(long done)
    {
        if (!_interactive)
        {
            return;
        }
        long now = _time.GetTimestamp();
        if (_time.GetElapsedTime(_startTimestamp, now) < ShowAfter || _time.GetElapsedTime(Volatile.Read(ref _lastDrawTimestamp), now) < RedrawInterval)
        {
            return;
        }
        lock (_lock)
        {
            _lastDrawTimestamp = now;
            string line = Render(done, _total, _unit, _time.GetElapsedTime(_startTimestamp, now));
            var text = new StringBuilder("\r").Append(line);
            if (line.Length < _drawnLength)
            {
                text.Append(' ', _drawnLength - line.Length).Append('\r').Append(line);
            }
            _output.Write(text.ToString());
            _output.Flush();
            _drawnLength = line.Length;
        }
    }

    /// <summary>Writes a line of ordinary output, clearing the bar first; the next <see cref="Update"/> redraws it.</summary>
    public void WriteLine(string line)
    {
        lock (_lock)
        {
            ClearLocked();
            _output.WriteLine(line);
            _output.Flush();
        }
    }

    /// <summary>Removes the bar for good (the run is over).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            ClearLocked();
            _output.Flush();
        }
    }

    /// <summary>`[#########.....................]  30% 300000/1000000 records, 12.3 s`.</summary>
    public static string Render(long done, long total, string unit, TimeSpan elapsed)
    {
        double fraction = total <= 0 ? 1 : Math.Clamp((double)done / total, 0, 1);
        int filled = (int)(fraction * BarWidth);
        return string.Create(CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('.', BarWidth - filled)}] {(int)(fraction * 100),3}% {done}/{total} {unit}, {elapsed.TotalSeconds:F1} s");
    }

    private void ClearLocked()
    {
        if (_drawnLength > 0)
        {
            _output.Write("\r" + new string(' ', _drawnLength) + "\r");
            _drawnLength = 0;
        }
    }
}
