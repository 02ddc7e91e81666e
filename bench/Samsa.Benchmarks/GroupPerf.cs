using Samsa.Client.Network;
using System.Diagnostics;
using Samsa.Broker;
using Samsa.Broker.Config;
using Samsa.Client;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project bench/Samsa.Benchmarks -- groups [--seconds N] [--clients N]`:
/// OffsetCommit throughput from concurrent clients (each commit acknowledged only once it is in
/// __consumer_offsets) and rebalance times of a 3-member group when a member joins and when one leaves,
/// against an in-process broker on loopback.
/// </summary>
internal static class GroupPerf
{
    public static async Task<int> RunAsync(string[] args)
    {
        int seconds = ArgInt(args, "--seconds", 5);
        int clients = ArgInt(args, "--clients", 8);
        string dataDir = Path.Combine(Path.GetTempPath(), "samsa-groupperf-" + Guid.NewGuid().ToString("N"));
        await using var broker = await SamsaBroker.StartAsync(new BrokerConfig
        {
            Listeners = [new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 0)],
            LogDirs = [dataDir],
            GroupInitialRebalanceDelayMs = 0,
        });
        try
        {
            string bootstrap = broker.BootstrapServers;
            await using (var setup = await KafkaConnection.ConnectAsync(bootstrap))
            {
                var create = new CreateTopicsRequest { TimeoutMs = 5000 };
                create.Topics.Add(new CreateTopicsRequest.CreatableTopic { Name = "perf", NumPartitions = 8, ReplicationFactor = 1 });
                await setup.SendAsync<CreateTopicsResponse>(create, 5);
            }
            await CommitThroughputAsync(bootstrap, clients, seconds);
            await RebalanceTimesAsync(bootstrap);
            return 0;
        }
        finally
        {
            await broker.StopAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task CommitThroughputAsync(string bootstrap, int clients, int seconds)
    {
        var connections = new List<KafkaConnection>();
        for (int i = 0; i < clients; i++)
        {
            connections.Add(await KafkaConnection.ConnectAsync(bootstrap));
        }
        // Warm-up: creates __consumer_offsets and JIT-compiles the path.
        await Task.WhenAll(connections.Select((c, i) => CommitLoopAsync(c, $"perf-{i}", TimeSpan.FromSeconds(1))));
        var watch = Stopwatch.StartNew();
        long[] counts = await Task.WhenAll(connections.Select((c, i) => CommitLoopAsync(c, $"perf-{i}", TimeSpan.FromSeconds(seconds))));
        double elapsed = watch.Elapsed.TotalSeconds;
        long total = counts.Sum();
        Console.WriteLine($"OffsetCommit: {clients} clients, {total} commits in {elapsed:F2} s = {total / elapsed:F0} commits/s (one partition per commit, acknowledged after the append to __consumer_offsets)");
        foreach (var c in connections)
        {
            await c.DisposeAsync();
        }
    }

    private static async Task<long> CommitLoopAsync(KafkaConnection connection, string group, TimeSpan duration)
    {
        long count = 0;
        var deadline = Stopwatch.StartNew();
        var request = new OffsetCommitRequest { GroupId = group, GenerationIdOrMemberEpoch = -1, MemberId = "" };
        var partition = new OffsetCommitRequest.OffsetCommitRequestPartition { PartitionIndex = (int)(count % 8), CommittedMetadata = "" };
        request.Topics.Add(new OffsetCommitRequest.OffsetCommitRequestTopic { Name = "perf", Partitions = [partition] });
        while (deadline.Elapsed < duration)
        {
            partition.CommittedOffset = count;
            var response = await connection.SendAsync<OffsetCommitResponse>(request, 8);
            if (response.Topics[0].Partitions[0].ErrorCode != 0)
            {
                throw new InvalidOperationException($"commit failed: {(ErrorCode)response.Topics[0].Partitions[0].ErrorCode}");
            }
            count++;
        }
        return count;
    }

    private sealed class Member(KafkaConnection connection)
    {
        public KafkaConnection Connection { get; } = connection;

        public string MemberId { get; set; } = "";

        public int Generation { get; set; }

        public async Task<JoinGroupResponse> JoinAsync()
        {
            var request = new JoinGroupRequest
            {
                GroupId = "rebalance",
                MemberId = MemberId,
                ProtocolType = "consumer",
                SessionTimeoutMs = 10_000,
                RebalanceTimeoutMs = 10_000,
                Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = "range", Metadata = [0, 1] }],
            };
            var response = await Connection.SendAsync<JoinGroupResponse>(request, 7);
            if (response.ErrorCode == (short)ErrorCode.MemberIdRequired)
            {
                MemberId = response.MemberId;
                request.MemberId = MemberId;
                response = await Connection.SendAsync<JoinGroupResponse>(request, 7);
            }
            MemberId = response.MemberId;
            Generation = response.GenerationId;
            return response;
        }

        public Task<SyncGroupResponse> SyncAsync(bool leader, IEnumerable<Member> all) =>
            Connection.SendAsync<SyncGroupResponse>(new SyncGroupRequest
            {
                GroupId = "rebalance",
                GenerationId = Generation,
                MemberId = MemberId,
                Assignments = leader ? all.Select(m => new SyncGroupRequest.SyncGroupRequestAssignment { MemberId = m.MemberId, Assignment = [1] }).ToList() : [],
            }, 5);

        public async Task<ErrorCode> HeartbeatAsync() =>
            (ErrorCode)(await Connection.SendAsync<HeartbeatResponse>(new HeartbeatRequest { GroupId = "rebalance", GenerationId = Generation, MemberId = MemberId }, 4)).ErrorCode;
    }

    /// <summary>Times from the last member's JoinGroup to the last join response, and to the group being stable again.</summary>
    private static async Task RebalanceTimesAsync(string bootstrap)
    {
        var members = new List<Member>();
        for (int i = 0; i < 4; i++)
        {
            members.Add(new Member(await KafkaConnection.ConnectAsync(bootstrap)));
        }
        var three = members.Take(3).ToList();
        await RebalanceAsync(three, three, "initial");
        for (int round = 0; round < 3; round++)
        {
            var four = members.ToList();
            await RebalanceAsync(four, three, "member joins");
            await members[3].Connection.SendAsync<LeaveGroupResponse>(new LeaveGroupRequest { GroupId = "rebalance", Members = [new LeaveGroupRequest.MemberIdentity { MemberId = members[3].MemberId }] }, 5);
            members[3].MemberId = "";
            await RebalanceAsync(three, three, "member leaves");
        }
    }

    private static async Task RebalanceAsync(List<Member> joining, List<Member> existing, string what)
    {
        // A newcomer's join starts the rebalance; existing members learn of it from their heartbeat, as a consumer does.
        var newcomers = joining.Where(m => !existing.Contains(m) || m.Generation == 0).ToList();
        var joins = newcomers.Select(m => m.JoinAsync()).ToList();
        var rejoining = joining.Except(newcomers).ToList();
        foreach (var m in rejoining)
        {
            while (await m.HeartbeatAsync() != ErrorCode.RebalanceInProgress)
            {
                await Task.Delay(1);
            }
        }
        var watch = Stopwatch.StartNew();
        joins.AddRange(rejoining.Select(m => m.JoinAsync()));
        var responses = await Task.WhenAll(joins);
        double joinMs = watch.Elapsed.TotalMilliseconds;
        string leader = responses[0].Leader;
        await Task.WhenAll(joining.Select(m => m.SyncAsync(m.MemberId == leader, joining)));
        double stableMs = watch.Elapsed.TotalMilliseconds;
        if (what != "initial")
        {
            Console.WriteLine($"Rebalance ({what}, {joining.Count} members): all joins answered {joinMs:F1} ms after the members rejoined; stable after {stableMs:F1} ms");
        }
    }

    private static int ArgInt(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out int v) ? v : fallback;
    }
}
