using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Samsa.Interop.Tests.Clients;

namespace Samsa.Interop.Tests.Infrastructure;

/// <summary>
/// librdkafka's mock cluster (a second Kafka-protocol broker nobody here wrote) as a child process:
/// <c>clients/mock/rdkmock.c</c>, compiled with gcc against Debian's librdkafka-dev the first time a
/// test asks for it and cached by source hash in the temp directory. It listens on free loopback
/// ports, holds everything in memory and knows only the topics given at launch (and those a
/// Metadata request auto-creates). What the 2.0.2 mock supports, and where it differs from Kafka,
/// is listed at the top of rdkmock.c. Dispose stops it with SIGTERM and, if it lingers, SIGKILL,
/// both by its PID. Not thread-safe: one test drives it at a time.
/// </summary>
public sealed partial class MockClusterProcess : IAsyncDisposable
{
    private const string MockHeader = "/usr/include/librdkafka/rdkafka_mock.h";
    private const string InstallHint = "install them with 'DEBIAN_FRONTEND=noninteractive apt-get install -y gcc librdkafka-dev' (scripts/test.sh does)";
    private static readonly string[] CompilerFlags = ["-O2", "-Wall", "-Wextra", "-Werror"];
    private static readonly TimeSpan CompileDeadline = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(10);
    private static readonly Lazy<Task<string>> Binary = new(BuildAsync);

    private readonly OutputTail _output = new(400);
    private readonly Process _process;
    private bool _stoppedByTest;

    private MockClusterProcess(Process process, int brokers)
    {
        _process = process;
        Brokers = brokers;
    }

    /// <summary>Comma-separated <c>127.0.0.1:PORT</c> of every mock broker, as the mock printed it.</summary>
    public string BootstrapServers { get; private set; } = "";

    /// <summary>Number of mock brokers; their ids are 1 to <see cref="Brokers"/>.</summary>
    public int Brokers { get; }

    public int ProcessId => _process.Id;

    public bool IsRunning => !_process.HasExited;

    /// <summary>Last lines the mock printed (librdkafka logs errors on stderr), for failure messages.</summary>
    public string RecentOutput => _output.ToString();

    /// <summary>Starts a one-broker mock cluster with <paramref name="topics"/> and waits for its bootstrap line.</summary>
    public static Task<MockClusterProcess> LaunchAsync(params MockTopic[] topics) => LaunchAsync(1, topics);

    /// <summary>Starts a mock cluster of <paramref name="brokers"/> brokers with <paramref name="topics"/> and waits for its bootstrap line.</summary>
    public static async Task<MockClusterProcess> LaunchAsync(int brokers, IReadOnlyList<MockTopic> topics)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        var binary = await BuildBinaryAsync().ConfigureAwait(false);
        var arguments = new List<string> { "-b", brokers.ToString(CultureInfo.InvariantCulture) };
        foreach (var topic in topics)
        {
            if (topic.Name.Contains(':', StringComparison.Ordinal))
            {
                throw new ArgumentException($"a mock topic name cannot contain ':' ({topic.Name})", nameof(topics));
            }
            arguments.Add("-t");
            arguments.Add(string.Create(CultureInfo.InvariantCulture, $"{topic.Name}:{topic.Partitions}:{topic.Replicas}"));
        }

        var process = new Process { StartInfo = ClientProcess.StartInfo(binary, arguments, Path.GetTempPath()) };
        var mock = new MockClusterProcess(process, brokers);
        try
        {
            await mock.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await mock.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return mock;
    }

    /// <summary>
    /// Path of the compiled rdkmock, building it on the first call of this test run (or taking the
    /// copy an earlier run left for the same source and librdkafka header).
    /// </summary>
    public static Task<string> BuildBinaryAsync() => Binary.Value;

    /// <summary>The mock's address and state and its last output, for failure messages.</summary>
    public string Describe() =>
        $"mock cluster (pid {ProcessId}) {BootstrapServers}: {State()}\n--- mock output (last lines) ---\n{RecentOutput}";

    public async ValueTask DisposeAsync()
    {
        if (IsStarted() && !_process.HasExited)
        {
            _stoppedByTest = true;
            _output.Add("[harness] SIGTERM");
            TrySignal(PosixSignals.SigTerm);
            using var deadline = new CancellationTokenSource(StopDeadline);
            try
            {
                await _process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _output.Add("[harness] SIGKILL");
                TrySignal(PosixSignals.SigKill);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        _process.Dispose();
    }

    private async Task StartAsync()
    {
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            _output.Add("out| " + e.Data);
            var match = BootstrapLine().Match(e.Data);
            if (match.Success)
            {
                ready.TrySetResult(match.Groups[1].Value);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _output.Add("err| " + e.Data);
            }
        };
        _output.Add($"[harness] start: {_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)}");
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var deadline = new CancellationTokenSource(ReadyDeadline);
        var exited = _process.WaitForExitAsync(deadline.Token);
        if (await Task.WhenAny(ready.Task, exited).ConfigureAwait(false) != ready.Task)
        {
            if (_process.HasExited)
            {
                // The exit is seen before the last output lines have been read; wait for them.
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                throw new InvalidOperationException(
                    $"the mock cluster exited with code {_process.ExitCode} before printing its bootstrap line\n{Describe()}");
            }
            throw new TimeoutException(
                $"the mock cluster printed no bootstrap line within {ReadyDeadline.TotalSeconds:F0} s\n{Describe()}");
        }

        BootstrapServers = await ready.Task.ConfigureAwait(false);
        var addresses = BootstrapServers.Split(',');
        if (addresses.Length != Brokers || addresses.Any(a => !a.StartsWith("127.0.0.1:", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException(
                $"the mock cluster announced '{BootstrapServers}', not {Brokers} loopback address(es)\n{Describe()}");
        }
    }

    private bool IsStarted()
    {
        try
        {
            _ = _process.Id;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private void TrySignal(int signal)
    {
        try
        {
            PosixSignals.Send(_process.Id, signal);
        }
        catch (InvalidOperationException)
        {
            // Gone between the check and the signal.
        }
    }

    private string State() => !IsStarted() ? "never started"
        : !_process.HasExited ? "running"
        : _stoppedByTest ? $"stopped by the test (exit code {_process.ExitCode})"
        : $"EXITED ON ITS OWN with code {_process.ExitCode}";

    private static async Task<string> BuildAsync()
    {
        var source = Path.Combine(ClientPaths.ClientsDirectory, "mock", "rdkmock.c");
        if (!File.Exists(MockHeader))
        {
            throw new ClientProcessException($"{MockHeader} is missing: the mock cluster needs gcc and librdkafka-dev; {InstallHint}");
        }

        // The binary depends on the source, the mock API's header and the flags; a change to any of them builds anew.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(await File.ReadAllBytesAsync(source).ConfigureAwait(false));
        hash.AppendData(await File.ReadAllBytesAsync(MockHeader).ConfigureAwait(false));
        hash.AppendData(Encoding.UTF8.GetBytes(string.Join(' ', CompilerFlags)));
        var directory = Path.Combine(Path.GetTempPath(), "samsa-rdkmock");
        Directory.CreateDirectory(directory);
        var binary = Path.Combine(directory, "rdkmock-" + Convert.ToHexStringLower(hash.GetHashAndReset())[..16]);
        if (File.Exists(binary))
        {
            return binary;
        }

        // Built under a unique name and renamed into place, so concurrent test runs never see half a binary.
        var partial = $"{binary}.{Environment.ProcessId}.tmp";
        var arguments = new List<string>(CompilerFlags) { "-o", partial, source, "-lrdkafka" };
        ProcessResult result;
        try
        {
            result = await ClientProcess.RunAsync("gcc", arguments, CompileDeadline).ConfigureAwait(false);
        }
        catch (ClientProcessException e)
        {
            throw new ClientProcessException($"cannot compile the mock cluster: {e.Message}\n{InstallHint}", e);
        }
        if (result.ExitCode != 0)
        {
            File.Delete(partial);
            throw new ClientProcessException($"gcc could not compile {source}; {InstallHint}\n{result.Describe()}");
        }
        File.Move(partial, binary, overwrite: true);
        return binary;
    }

    [GeneratedRegex(@"^bootstrap=(\S+)$")]
    private static partial Regex BootstrapLine();
}
