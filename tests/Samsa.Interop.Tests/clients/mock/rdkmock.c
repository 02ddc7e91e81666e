/*
 * rdkmock: librdkafka's mock cluster as a process of its own, so tests have a second Kafka-protocol
 * broker that nobody here wrote (Infrastructure/MockClusterProcess.cs compiles and starts it).
 *
 *   rdkmock [-b BROKERS] [-t TOPIC:PARTITIONS[:REPLICAS]]... [-d DEBUG] [--ignore-stdin]
 *
 * -b  number of mock brokers (default 1; ids 1..BROKERS), each listening on its own free port on
 *     127.0.0.1.
 * -t  creates a topic (repeatable). REPLICAS defaults to 1 and must not exceed BROKERS.
 * -d  librdkafka debug contexts for the cluster's own handle (for example "mock,protocol"), logged
 *     on stderr. Without it only errors are logged.
 * --ignore-stdin  runs until a signal only (for shells that start it in the background).
 *
 * Once the brokers listen and the topics exist it prints one line on stdout and flushes it:
 *   bootstrap=127.0.0.1:PORT[,127.0.0.1:PORT...]
 * then runs until its standard input reaches end of file (the parent closed it or died) or it gets
 * SIGTERM or SIGINT, and exits 0. Set-up failures exit 2 with one line on stderr.
 *
 * What the librdkafka 2.0.2 mock is (read from its rdkafka_mock*.c at tag v2.0.2 and checked
 * against this program; the interop README summarises it):
 *
 * ApiVersions advertises, min..max:
 *   Produce 0..7, Fetch 0..11, ListOffsets 0..5, Metadata 0..2, OffsetCommit 0..7, OffsetFetch 0..5,
 *   FindCoordinator 0..2, JoinGroup 0..5, Heartbeat 0..3, LeaveGroup 0..1, SyncGroup 0..3,
 *   ApiVersions 0..2, InitProducerId 0..4, AddPartitionsToTxn 0..1, AddOffsetsToTxn 0..1,
 *   TxnOffsetCommit 0..2, EndTxn 0..1.
 *   No flexible versions. An ApiVersions v3 request gets error 35 (UNSUPPORTED_VERSION) in a body
 *   that parses neither as v0 nor as v3 (a one-byte count 01, then ApiVersions 0..2, then a
 *   throttle time, no tagged fields): read the error code, ignore the rest and ask again with v0,
 *   as librdkafka does. Nothing else exists: no CreateTopics, DeleteTopics, CreatePartitions,
 *   DescribeConfigs, ListGroups, DescribeGroups, DeleteGroups, DeleteRecords,
 *   OffsetForLeaderEpoch, SaslHandshake. A request with an unknown key or an unsupported version
 *   makes the mock close that connection without an answer.
 * Topics: only those created here or auto-created by a Metadata request naming them (the offered
 *   versions have no allow_auto_topic_creation flag, so always) with 4 partitions and replication
 *   min(3, BROKERS). Produce to an unknown topic gets UNKNOWN_TOPIC_OR_PARTITION.
 * Produce: record batches of magic 2 only (older message sets get UNSUPPORTED_VERSION). A batch is
 *   stored as sent, not decompressed or checked (no CRC check), so every compression codec passes
 *   through. Each partition keeps at most about 5 MB or 100,000 batches; older batches are dropped
 *   and the log start offset moves up. The response's log_append_time is 1234 (not -1) on success,
 *   so a client that takes a non-negative log_append_time as the record's timestamp reports 1234.
 *   acks=0 requests are answered too.
 * Fetch: one batch per partition per response (the batch holding the fetch offset), so a
 *   consumer reads one batch per partition per round trip. An empty result waits max_wait_ms even
 *   when data arrives meanwhile. isolation_level is ignored: last_stable_offset is the high
 *   watermark and aborted_transactions is always empty.
 * ListOffsets: earliest (-2) and latest (-1) only; a timestamp gives offset -1. In v4 and v5 the
 *   response's leader_epoch is written as 8 bytes instead of 4, so a client that negotiates
 *   ListOffsets v4 or v5 misreads the response; v1..v3 are correct (librdkafka 2.0.2 itself asks
 *   for at most v2).
 * Consumer groups: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit and
 *   OffsetFetch work, with several members and rebalances. The first join of an empty group waits
 *   3 s for more members. A later rebalance (a member joins, rejoins or leaves a stable group)
 *   keeps the join phase open for session.timeout.ms - 1 s even when every member has rejoined:
 *   with session.timeout.ms=10000 a second confluent-kafka-python consumer got its partitions 18 s
 *   after subscribing (two such rounds), so tests with rebalances want a short session.timeout.ms.
 *   The group uses the leader's first protocol (assignor) name; there is no MEMBER_ID_REQUIRED
 *   round (an unknown non-empty member id is simply added); group.instance.id is read but not
 *   honoured. OffsetCommit from a client that is not a member of an existing group gets
 *   UNKNOWN_MEMBER_ID; to a group that was never joined it is stored (commits without a group
 *   work). No DescribeGroups or ListGroups.
 * Idempotence and transactions: InitProducerId hands out producer ids; sequence numbers are
 *   checked (OUT_OF_ORDER_SEQUENCE_NUMBER, duplicates acknowledged and dropped) only for
 *   transactional producers, not for plain idempotent ones. AddPartitionsToTxn, AddOffsetsToTxn,
 *   TxnOffsetCommit and EndTxn are accepted, but EndTxn writes no control markers: an aborted
 *   transaction's records stay visible to every consumer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_TOPICS 256

struct topic_spec {
    char name[250];
    int partitions;
    int replicas;
};

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int signal) { stop_signal = signal; }

static void die(const char *what, const char *detail) {
    fprintf(stderr, "rdkmock: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static void usage(void) {
    fprintf(stderr,
            "usage: rdkmock [-b BROKERS] [-t TOPIC:PARTITIONS[:REPLICAS]]... [-d DEBUG] [--ignore-stdin]\n");
    exit(2);
}

static int parse_positive(const char *s, const char *what) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > INT_MAX) {
        die(what, s);
    }
    return (int)v;
}

/* TOPIC:PARTITIONS[:REPLICAS]; the topic name is everything before the first colon. */
static void parse_topic(const char *arg, struct topic_spec *spec) {
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof(spec->name)) {
        die("-t expects TOPIC:PARTITIONS[:REPLICAS], not", arg);
    }
    memcpy(spec->name, arg, (size_t)(colon - arg));
    spec->name[colon - arg] = '\0';
    char counts[32];
    snprintf(counts, sizeof(counts), "%s", colon + 1);
    char *second = strchr(counts, ':');
    spec->replicas = 1;
    if (second) {
        *second = '\0';
        spec->replicas = parse_positive(second + 1, "bad replica count");
    }
    spec->partitions = parse_positive(counts, "bad partition count");
}

static void set_conf(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        die("bad configuration", errstr);
    }
}

/* Waits for end of file on stdin (or only a signal when watch_stdin is 0). SIGTERM and SIGINT are
 * blocked everywhere except inside ppoll, so a signal cannot slip in between the check of
 * stop_signal and the wait. */
static void wait_for_stop(int watch_stdin, const sigset_t *wait_mask) {
    char buf[4096];
    struct pollfd fd = {.fd = STDIN_FILENO, .events = POLLIN};
    while (!stop_signal) {
        int n = ppoll(&fd, watch_stdin ? 1 : 0, NULL, wait_mask);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("ppoll failed", strerror(errno));
        }
        if (fd.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
            ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
            if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
                return;
            }
        }
    }
}

int main(int argc, char **argv) {
    int brokers = 1, watch_stdin = 1, topic_count = 0;
    const char *debug = NULL;
    static struct topic_spec topics[MAX_TOPICS];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--ignore-stdin")) {
            watch_stdin = 0;
            continue;
        }
        if (i + 1 >= argc) {
            usage();
        }
        const char *v = argv[++i];
        if (!strcmp(a, "-b")) {
            brokers = parse_positive(v, "bad broker count");
        } else if (!strcmp(a, "-t")) {
            if (topic_count == MAX_TOPICS) {
                die("too many -t options", NULL);
            }
            parse_topic(v, &topics[topic_count++]);
        } else if (!strcmp(a, "-d")) {
            debug = v;
        } else {
            usage();
        }
    }
    for (int i = 0; i < topic_count; i++) {
        if (topics[i].replicas > brokers) {
            die("more replicas than brokers for topic", topics[i].name);
        }
    }

    /* Blocked before librdkafka starts its threads, which inherit the mask, so the signals reach
     * only the main thread's ppoll. A write to a client that went away must not kill the mock. */
    sigset_t stop_mask, wait_mask;
    sigemptyset(&stop_mask);
    sigaddset(&stop_mask, SIGTERM);
    sigaddset(&stop_mask, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stop_mask, &wait_mask) != 0) {
        die("sigprocmask failed", strerror(errno));
    }
    sigdelset(&wait_mask, SIGTERM);
    sigdelset(&wait_mask, SIGINT);
    struct sigaction action = {0};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The cluster lives in a client handle; this one is never given bootstrap servers and sends
     * nothing itself. */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (debug) {
        set_conf(conf, "debug", debug);
    } else {
        set_conf(conf, "log_level", "3");
    }
    char errstr[512];
    rd_kafka_t *owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!owner) {
        die("cannot create the owning handle", errstr);
    }
    rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(owner, brokers);
    if (!cluster) {
        die("cannot start the mock cluster", NULL);
    }
    for (int i = 0; i < topic_count; i++) {
        rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(cluster, topics[i].name, topics[i].partitions, topics[i].replicas);
        if (err) {
            fprintf(stderr, "rdkmock: cannot create topic %s: %s\n", topics[i].name, rd_kafka_err2str(err));
            exit(2);
        }
    }

    printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
    fflush(stdout);

    wait_for_stop(watch_stdin, &wait_mask);

    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(owner);
    return 0;
}
