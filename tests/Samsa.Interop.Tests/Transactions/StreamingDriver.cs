using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests.Transactions;

/// <summary>
/// A driver process (txn_client.py, a Node script) whose JSON event lines are read as it prints them, so a test can
/// act on its progress: SIGKILL it in the middle of a transaction, restart the broker under it. Thread-safe: the
/// output readers add events while the test reads them.
/// </summary>
public sealed class StreamingDriver : IDisposable
{
    private readonly Process _process;
    private readonly string _commandLine;
    private readonly Lock _lock = new();
    private readonly List<JsonElement> _events = [];
    private readonly OutputTail _stderr = new(80);
    private readonly OutputTail _badLines = new(10);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _killed;

    private StreamingDriver(Process process, string commandLine)
    {
        _process = process;
        _commandLine = commandLine;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Exited and every line it printed has been read.</summary>
    public bool HasFinished => _process.HasExited && _stdoutClosed.Task.IsCompleted;

    public IReadOnlyList<JsonElement> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>The most recent event with that name, or null.</summary>
    public JsonElement? Last(string name)
    {
        lock (_lock)
        {
            for (int i = _events.Count - 1; i >= 0; i--)
            {
                if (TxnDriver.Event(_events[i]) == name)
                {
                    return _events[i];
                }
            }
            return null;
        }
    }

    public int Count(string name)
    {
        lock (_lock)
        {
            return _events.Count(e => TxnDriver.Event(e) == name);
        }
    }

    public static StreamingDriver Start(string fileName, IEnumerable<string> arguments, string workingDirectory)
    {
        var start = ClientProcess.StartInfo(fileName, arguments, workingDirectory);
        start.Environment["KAFKAJS_NO_PARTITIONER_WARNING"] = "1";
        var commandLine = fileName + " " + string.Join(' ', start.ArgumentList);
        var process = new Process { StartInfo = start };
        var driver = new StreamingDriver(process, commandLine);
        process.OutputDataReceived += (_, e) => driver.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                driver._stderr.Add(e.Data);
            }
        };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new ClientProcessException($"cannot start {fileName} ({e.Message})\ncommand: {commandLine}", e);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return driver;
    }

    /// <summary>SIGKILL by PID; returns once the process is gone and its output read to the end.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _killed = true;
            try
            {
                PosixSignals.Send(_process.Id, PosixSignals.SigKill);
            }
            catch (InvalidOperationException)
            {
                // Exited between the check and the signal.
            }
        }
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Waits for the process to exit by itself and its output to be read; kills it at the deadline.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            await _stdoutClosed.Task.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            if (!_process.HasExited)
            {
                _killed = true;
                PosixSignals.Send(_process.Id, PosixSignals.SigKill);
                await _process.WaitForExitAsync();
            }
            throw new ClientProcessException($"the driver did not finish within {timeout.TotalSeconds:F0} s and was killed\n{Describe()}");
        }
        return _process.ExitCode;
    }

    /// <summary>Throws when the process exited by itself with a failure, so a crashed driver fails the test at once.</summary>
    public void ThrowIfFailed()
    {
        if (HasFinished && !_killed && _process.ExitCode != 0)
        {
            throw new ClientProcessException($"the driver exited with code {_process.ExitCode}\n{Describe()}");
        }
    }

    public string Describe()
    {
        string state = !_process.HasExited ? "running" : _killed ? "killed by the test" : $"exited with code {_process.ExitCode}";
        List<string> tail;
        lock (_lock)
        {
            tail = [.. _events.Skip(Math.Max(0, _events.Count - 15)).Select(e => e.GetRawText())];
        }
        return $"command: {_commandLine}\nstate: {state}, {Events.Count} events\n--- last events ---\n{string.Join('\n', tail)}\n" +
               $"--- lines that were not JSON ---\n{_badLines}\n--- stderr ---\n{_stderr}";
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try
            {
                PosixSignals.Send(_process.Id, PosixSignals.SigKill);
                _process.WaitForExit();
            }
            catch (InvalidOperationException)
            {
            }
        }
        _process.Dispose();
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            _stdoutClosed.TrySetResult();
            return;
        }
        if (line.Length == 0)
        {
            return;
        }
        try
        {
            using var document = JsonDocument.Parse(line);
            lock (_lock)
            {
                _events.Add(document.RootElement.Clone());
            }
        }
        catch (JsonException)
        {
            _badLines.Add(line);
        }
    }
}
