using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Samsa.Interop.Tests.Infrastructure;

/// <summary>
/// A Samsa broker running as a child process (<c>dotnet samsa.dll server start</c>)
/// on a free loopback port with its own temporary data directory. It can be
/// stopped (SIGTERM), killed (SIGKILL) and started again on the same port and
/// directory. Dispose stops it and deletes the directory. Not thread-safe:
/// one test drives it at a time.
/// </summary>
public sealed partial class BrokerProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(30);

    private readonly OutputTail _output = new(400);
    private readonly IReadOnlyDictionary<string, string> _overrides;
    private Process? _process;
    private int _starts;
    private bool _stoppedByTest;

    private BrokerProcess(int port, string dataDirectory, IReadOnlyDictionary<string, string> overrides)
    {
        Port = port;
        DataDirectory = dataDirectory;
        _overrides = overrides;
    }

    public int Port { get; }

    public string DataDirectory { get; }

    public string BootstrapServers => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Exit code of the last run once it has exited, else null.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Environment variables set for the following starts (fault-injection switches); remove a key to drop it.</summary>
    public Dictionary<string, string> ExtraEnvironment { get; } = new();

    /// <summary>Last lines the broker printed (all starts), for failure messages.</summary>
    public string RecentOutput => _output.ToString();

    /// <summary>Starts a broker on a fresh port and data directory and waits until it is ready.</summary>
    public static async Task<BrokerProcess> LaunchAsync(IReadOnlyDictionary<string, string>? overrides = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "samsa-interop-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataDirectory);
        var broker = new BrokerProcess(FreePort.Next(), dataDirectory, overrides ?? new Dictionary<string, string>());
        try
        {
            await broker.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return broker;
    }

    /// <summary>Starts (or restarts) the broker on <see cref="Port"/> with <see cref="DataDirectory"/>.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("the broker is already running");
        }
        _process?.Dispose();
        _process = null;

        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = DataDirectory,
        };
        start.ArgumentList.Add(BrokerAssembly());
        start.ArgumentList.Add("server");
        start.ArgumentList.Add("start");
        AddOverride(start, "listeners", $"PLAINTEXT://127.0.0.1:{Port}");
        AddOverride(start, "log.dirs", DataDirectory);
        foreach (var (key, value) in _overrides)
        {
            AddOverride(start, key, value);
        }
        foreach (var (key, value) in ExtraEnvironment)
        {
            start.Environment[key] = value;
        }

        var attempt = ++_starts;
        _stoppedByTest = false;
        var environment = string.Concat(ExtraEnvironment.Select(e => $"{e.Key}={e.Value} "));
        _output.Add($"[harness] start #{attempt}: {environment}{start.FileName} {string.Join(' ', start.ArgumentList)}");
        var ready = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            _output.Add("out| " + e.Data);
            var match = ReadyLine().Match(e.Data);
            if (match.Success)
            {
                ready.TrySetResult(match);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _output.Add("err| " + e.Data);
            }
        };
        process.Start();
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var stopwatch = Stopwatch.StartNew();
        using var deadline = new CancellationTokenSource(ReadyDeadline);
        var exited = process.WaitForExitAsync(deadline.Token);
        var first = await Task.WhenAny(ready.Task, exited).ConfigureAwait(false);
        if (first != ready.Task)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"the broker (start #{attempt}) exited with code {process.ExitCode} before printing its ready line\n{Describe()}");
            }
            Kill();
            throw new TimeoutException(
                $"the broker (start #{attempt}) printed no ready line within {ReadyDeadline.TotalSeconds:F0} s and was killed\n{Describe()}");
        }

        var line = await ready.Task.ConfigureAwait(false);
        var host = line.Groups[1].Value;
        var port = int.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture);
        if (host != "127.0.0.1" || port != Port)
        {
            throw new InvalidOperationException(
                $"the broker announced {host}:{port} but was told to listen on 127.0.0.1:{Port}\n{Describe()}");
        }
        _output.Add($"[harness] ready after {stopwatch.ElapsedMilliseconds} ms");
    }

    /// <summary>Sends SIGTERM and waits for the process to exit; returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        var process = _process ?? throw new InvalidOperationException("the broker was never started");
        if (process.HasExited)
        {
            return process.ExitCode;
        }
        _output.Add("[harness] SIGTERM");
        _stoppedByTest = true;
        PosixSignals.Send(process.Id, PosixSignals.SigTerm);
        using var deadline = new CancellationTokenSource(StopDeadline);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException(
                $"the broker did not exit within {StopDeadline.TotalSeconds:F0} s of SIGTERM and was killed\n{Describe()}");
        }
        _output.Add($"[harness] exited with code {process.ExitCode}");
        return process.ExitCode;
    }

    /// <summary>Kills the broker with SIGKILL (kill -9) and waits until it is gone.</summary>
    public void Kill()
    {
        var process = _process;
        if (process is null || process.HasExited)
        {
            return;
        }
        _output.Add("[harness] SIGKILL");
        _stoppedByTest = true;
        try
        {
            PosixSignals.Send(process.Id, PosixSignals.SigKill);
        }
        catch (InvalidOperationException)
        {
            // Already gone between the check and the signal.
        }
        process.WaitForExit();
    }

    /// <summary>
    /// SIGSTOP: the broker stops reading and answering but keeps its connections open, so clients' requests time
    /// out while the broker may still hold them unread. <see cref="Resume"/> lets it go on.
    /// </summary>
    public void Pause()
    {
        var process = _process ?? throw new InvalidOperationException("the broker was never started");
        _output.Add("[harness] SIGSTOP");
        PosixSignals.Send(process.Id, PosixSignals.SigStop);
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume()
    {
        var process = _process ?? throw new InvalidOperationException("the broker was never started");
        _output.Add("[harness] SIGCONT");
        PosixSignals.Send(process.Id, PosixSignals.SigCont);
    }

    /// <summary>Broker address, data directory and its last output, for failure messages.</summary>
    public string Describe() =>
        $"broker {BootstrapServers}, data dir {DataDirectory}: {State()}\n--- broker output (last lines) ---\n{RecentOutput}";

    private string State() => _process switch
    {
        null => "never started",
        { HasExited: false } => "running",
        _ when _stoppedByTest => $"stopped by the test (exit code {_process.ExitCode})",
        _ => $"EXITED ON ITS OWN with code {_process.ExitCode}: the test did not stop it " +
             "(a signal from outside the test, or a crash)",
    };

    public async ValueTask DisposeAsync()
    {
        if (IsRunning)
        {
            try
            {
                await StopAsync().ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // StopAsync already killed it.
            }
        }
        _process?.Dispose();
        _process = null;
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void AddOverride(ProcessStartInfo start, string key, string value)
    {
        start.ArgumentList.Add("--override");
        start.ArgumentList.Add($"{key}={value}");
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string BrokerAssembly()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "samsa.dll");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"samsa.dll is not in the test output directory {AppContext.BaseDirectory}; the test project must reference src/Samsa.Cli", path);
        }
        return path;
    }

    [GeneratedRegex(@"ready on PLAINTEXT://([^\s:]+):(\d+)")]
    private static partial Regex ReadyLine();
}
