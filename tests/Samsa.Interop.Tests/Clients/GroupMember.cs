using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests.Clients;

/// <summary>
/// One consumer-group member: a real client's driver running as a child
/// process until it is stopped (SIGTERM, so it closes and leaves the group),
/// killed (SIGKILL, no LeaveGroup) or closes itself (expected count, idle
/// time). Its JSON lines are read as they come: records, assignments,
/// readiness, commit failures. Thread-safe: the output readers update the
/// state while tests read it.
/// </summary>
public sealed class GroupMember : IAsyncDisposable
{
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly string _commandLine;
    private readonly OutputTail _stdout = new(60);
    private readonly OutputTail _stderr = new(120);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly List<GroupMemberRecord> _records = [];
    private readonly List<string> _problems = [];
    private IReadOnlyList<int>? _assignment;
    private bool _ready;
    private int _assignments;
    private string? _closeReason;
    private string? _signalled;

    private GroupMember(GroupMemberClient client, GroupMemberOptions options, Process process, string commandLine)
    {
        Client = client;
        Options = options;
        _process = process;
        _commandLine = commandLine;
    }

    public GroupMemberClient Client { get; }

    public GroupMemberOptions Options { get; }

    public string ClientId => Options.ClientId;

    public string Name => $"{Client.Name} member {ClientId} of group {Options.Group}";

    /// <summary>Records consumed so far, in the order the member printed them.</summary>
    public IReadOnlyList<GroupMemberRecord> Records
    {
        get
        {
            lock (_lock)
            {
                return [.. _records];
            }
        }
    }

    public int RecordCount
    {
        get
        {
            lock (_lock)
            {
                return _records.Count;
            }
        }
    }

    /// <summary>The partitions of the member's current assignment as the client applied it; null between a revocation and the next assignment.</summary>
    public IReadOnlyList<int>? Assignment
    {
        get
        {
            lock (_lock)
            {
                return _assignment;
            }
        }
    }

    /// <summary>Whether every partition of the current assignment has a resolved fetch position.</summary>
    public bool IsReady
    {
        get
        {
            lock (_lock)
            {
                return _ready && _assignment is not null;
            }
        }
    }

    /// <summary>How many assignments the client has received (one per completed rebalance it took part in).</summary>
    public int AssignmentCount
    {
        get
        {
            lock (_lock)
            {
                return _assignments;
            }
        }
    }

    /// <summary>Why the member closed its consumer ("sigterm", "count", "idle", "deadline"); null until it has.</summary>
    public string? CloseReason
    {
        get
        {
            lock (_lock)
            {
                return _closeReason;
            }
        }
    }

    /// <summary>Commit failures and client errors the member reported.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_lock)
            {
                return [.. _problems];
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The process has exited and everything it printed has been read.</summary>
    public bool HasFinished => _process.HasExited && _stdoutClosed.Task.IsCompleted && _stderrClosed.Task.IsCompleted;

    public static async Task<GroupMember> StartAsync(GroupMemberClient client, string bootstrap, GroupMemberOptions options)
    {
        await client.EnsureInstalledAsync().ConfigureAwait(false);
        if (options.GroupInstanceId is not null && !client.SupportsStaticMembership)
        {
            throw new ArgumentException($"{client.Name} has no static membership (group.instance.id)", nameof(options));
        }

        var start = ClientProcess.StartInfo(client.Interpreter, [client.ScriptPath, .. Arguments(bootstrap, options)],
            Path.GetDirectoryName(client.ScriptPath)!);

        var commandLine = start.FileName + " " + string.Join(' ', start.ArgumentList);
        var process = new Process { StartInfo = start };
        var member = new GroupMember(client, options, process, commandLine);
        process.OutputDataReceived += (_, e) => member.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => member.OnStderr(e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new ClientProcessException($"cannot start {client.Interpreter} ({e.Message})\ncommand: {commandLine}", e);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return member;
    }

    /// <summary>SIGTERM: the driver closes its consumer (LeaveGroup, final auto-commit) and exits.</summary>
    public void Terminate() => Signal(PosixSignals.SigTerm, "SIGTERM");

    /// <summary>SIGKILL: the process vanishes without leaving the group.</summary>
    public void Kill() => Signal(PosixSignals.SigKill, "SIGKILL");

    /// <summary>Waits for the process to exit and its output to be read; kills it and fails at the deadline.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? ExitDeadline);
        try
        {
            await _process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new ClientProcessException(
                $"{Name} did not exit within {(timeout ?? ExitDeadline).TotalSeconds:F0} s (after {_signalled ?? "no signal"}) and was killed\n{Describe()}");
        }
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, then requires a clean exit: exit code 0 after the driver closed its consumer.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            Terminate();
        }
        await ExpectCleanExitAsync().ConfigureAwait(false);
    }

    /// <summary>Waits for the member to exit on its own or after a signal and requires that it closed its consumer and exited with 0.</summary>
    public async Task ExpectCleanExitAsync()
    {
        var code = await WaitForExitAsync().ConfigureAwait(false);
        if (code != 0 || CloseReason is null)
        {
            throw new ClientProcessException($"{Name} exited with code {code} {(CloseReason is null ? "without closing its consumer" : $"after closing ({CloseReason})")}\n{Describe()}");
        }
    }

    /// <summary>Throws when the member died without being told to: a crashed driver fails the test at once instead of at a deadline.</summary>
    public void ThrowIfFailed()
    {
        if (HasFinished && _signalled is null && (_process.ExitCode != 0 || CloseReason is null))
        {
            throw new ClientProcessException($"{Name} exited by itself with code {_process.ExitCode}\n{Describe()}");
        }
    }

    /// <summary>The next offset after the last record consumed from each partition.</summary>
    public IReadOnlyDictionary<int, long> NextOffsets() =>
        Records.GroupBy(r => r.Partition).ToDictionary(g => g.Key, g => g.Max(r => r.Offset) + 1);

    public string Describe()
    {
        string state;
        if (!_process.HasExited)
        {
            state = "running";
        }
        else
        {
            state = $"exited with code {_process.ExitCode}" + (_signalled is null ? "" : $" after {_signalled}");
        }
        var problems = Problems;
        return $"--- {Name}: {state}; {RecordCount} records; assignment [{string.Join(',', Assignment ?? [])}]" +
               $"{(IsReady ? " ready" : "")}; closed: {CloseReason ?? "no"}\n" +
               $"command: {_commandLine}\n" +
               (problems.Count == 0 ? "" : $"reported problems:\n  {string.Join("\n  ", problems.Take(20))}\n") +
               $"stdout (last lines):\n{_stdout}\nstderr (last lines):\n{_stderr}";
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        _process.Dispose();
    }

    public override string ToString() => Name;

    private static List<string> Arguments(string bootstrap, GroupMemberOptions o)
    {
        var arguments = new List<string>
        {
            "--bootstrap", bootstrap,
            "--topic", o.Topic,
            "--group", o.Group,
            "--client-id", o.ClientId,
            "--offset-reset", o.AutoOffsetReset,
            "--commit", o.Commit switch
            {
                GroupCommitMode.Auto => "auto",
                GroupCommitMode.PerRecord => "record",
                GroupCommitMode.PerBatch => "batch",
                _ => "none",
            },
            "--session-timeout-ms", Text(o.SessionTimeoutMs),
            "--heartbeat-ms", Text(o.HeartbeatIntervalMs),
            "--auto-commit-interval-ms", Text(o.AutoCommitIntervalMs),
            "--expect", Text(o.ExpectedRecords),
            "--idle-exit-ms", Text(o.IdleExitMs),
            "--max-seconds", Text(o.MaxSeconds),
        };
        if (o.GroupInstanceId is not null)
        {
            arguments.Add("--instance-id");
            arguments.Add(o.GroupInstanceId);
        }
        return arguments;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private void Signal(int signal, string name)
    {
        if (_process.HasExited)
        {
            return;
        }
        _signalled ??= name;
        try
        {
            PosixSignals.Send(_process.Id, signal);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the signal.
        }
    }

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            _stderrClosed.TrySetResult();
            return;
        }
        _stderr.Add(line);
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            _stdoutClosed.TrySetResult();
            return;
        }
        _stdout.Add(line);
        if (line.Length == 0)
        {
            return;
        }
        try
        {
            using var document = JsonDocument.Parse(line);
            Apply(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            lock (_lock)
            {
                _problems.Add($"unparsable output line ({e.Message}): {line}");
            }
        }
    }

    private void Apply(JsonElement e)
    {
        var kind = e.GetProperty("event").GetString();
        lock (_lock)
        {
            switch (kind)
            {
                case "record":
                    _records.Add(new GroupMemberRecord(
                        e.GetProperty("partition").GetInt32(),
                        e.GetProperty("offset").GetInt64(),
                        e.GetProperty("key").GetString(),
                        e.GetProperty("value").GetString()));
                    break;
                case "assigned":
                    _assignment = Partitions(e);
                    _assignments++;
                    _ready = false;
                    break;
                case "ready":
                    _ready = _assignment is not null && Partitions(e).SequenceEqual(_assignment);
                    break;
                case "revoked":
                case "lost":
                    _assignment = null;
                    _ready = false;
                    break;
                case "commit_failed":
                case "error":
                    _problems.Add($"{kind}: {e.GetProperty("message").GetString()}");
                    break;
                case "closed":
                    _closeReason = e.GetProperty("reason").GetString();
                    break;
                default:
                    _problems.Add($"unknown event: {e.GetRawText()}");
                    break;
            }
        }
    }

    private static List<int> Partitions(JsonElement e) =>
        e.GetProperty("partitions").EnumerateArray().Select(p => p.GetInt32()).Order().ToList();
}
