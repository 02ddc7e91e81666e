/*
 * rdkperf: a small throughput driver on librdkafka, used by produce-consume.sh to measure a broker
 * (Samsa) and librdkafka's in-memory mock broker with the same client code in the same run.
 *
 *   rdkperf produce (-b HOST:PORT | --mock) [-t TOPIC] [-p PARTITION] [-n COUNT] [-s SIZE]
 *                   [-a ACKS] [-T SECONDS] [-X key=value ...]
 *   rdkperf consume (-b HOST:PORT | --mock) [-t TOPIC] [-p PARTITION] [-n COUNT] [-s SIZE]
 *                   [-T SECONDS] [-X key=value ...]
 *   rdkperf version   (prints librdkafka's version)
 *
 * produce: sends COUNT records with a SIZE-byte value and no key as fast as the client allows, then
 *          waits for every delivery report. With -p they all go to that partition; without it
 *          librdkafka's default partitioner places them (sticky for records without a key, so
 *          batches fill one partition at a time, as in the Java client). The clock starts after the
 *          topic's metadata names a leader for every partition (connection set-up is not measured)
 *          and stops at the last delivery report.
 * consume: assigns the partition (-p) or every partition of the topic at offset 0 and reads COUNT
 *          records in all. The clock starts at the assignment and stops at the COUNT-th record.
 *          Offsets must arrive as 0, 1, 2, ... in each partition.
 * --mock:  starts librdkafka's mock cluster (one broker, listening on loopback) inside this process
 *          and creates TOPIC there with PARTITION + 1 partitions (one without -p; consume --mock
 *          reads partition 0). The mock cluster lives only as long as the
 *          process and keeps only about 5 MB per partition, so consume --mock writes and reads the
 *          COUNT records in rounds of about 3 MiB, measuring only the reads (see run_consume_mock).
 *          The explicit mock API is used rather than test.mock.num.brokers because that property
 *          gives every client instance a cluster of its own, and consume needs the data a
 *          producer wrote.
 *
 * -X key=value goes to the measured client's configuration (linger.ms, batch.size, fetch.* ...);
 * -a sets acks (0, 1, -1/all; default all). -T bounds the measured phase (default 300 s).
 *
 * Output: one line of key=value pairs on stdout, for example
 *   mode=produce target=mock records=1000 size=100 seconds=0.012 records_per_s=83333 mb_per_s=7.95
 * MB is 1,048,576 bytes of record values, as in Kafka's perf tools. The exit code is 0 only when all
 * COUNT records were delivered (produce) or read in order (consume).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define RDK_PROGRAM "rdkperf"
#include "rdkcommon.h"

#define MAX_OVERRIDES 64

struct options {
    const char *mode;
    const char *bootstrap;
    int mock;
    const char *topic;
    int32_t partition; /* -1 (RD_KAFKA_PARTITION_UA): every partition */
    long long count;
    size_t size;
    const char *acks;
    double timeout_s;
    const char *overrides[MAX_OVERRIDES];
    int override_count;
};

static void usage(void) {
    fprintf(stderr,
            "usage: rdkperf produce|consume (-b HOST:PORT | --mock) [-t TOPIC] [-p PARTITION]\n"
            "               [-n COUNT] [-s SIZE] [-a ACKS] [-T SECONDS] [-X key=value ...]\n");
    exit(2);
}

static void apply_overrides(rd_kafka_conf_t *conf, const struct options *o) {
    for (int i = 0; i < o->override_count; i++) {
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s", o->overrides[i]);
        char *eq = strchr(buf, '=');
        if (!eq) {
            die("-X expects key=value, not", o->overrides[i]);
        }
        *eq = '\0';
        set_conf(conf, buf, eq + 1);
    }
}

static rd_kafka_t *new_client(rd_kafka_type_t type, rd_kafka_conf_t *conf) {
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (!rk) {
        die("cannot create client", errstr);
    }
    return rk;
}

/* Waits until the topic's metadata names a leader for every partition (for -p, for that one) and
 * returns the number of partition ids to track. */
static int32_t wait_for_partitions(rd_kafka_t *rk, const struct options *o) {
    if (o->partition >= 0) {
        wait_for_leader(rk, o->topic, o->partition);
        return o->partition + 1;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    double deadline = now_seconds() + 30;
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
        int32_t count = 0;
        if (!err && md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) {
            count = md->topics[0].partition_cnt;
            for (int i = 0; i < md->topics[0].partition_cnt; i++) {
                const rd_kafka_metadata_partition_t *p = &md->topics[0].partitions[i];
                if (p->err || p->leader < 0 || p->id < 0 || p->id >= md->topics[0].partition_cnt) {
                    count = 0;
                }
            }
        }
        if (md) {
            rd_kafka_metadata_destroy(md);
        }
        if (count > 0) {
            rd_kafka_topic_destroy(rkt);
            return count;
        }
        if (now_seconds() > deadline) {
            die("no leader for every partition of the topic", o->topic);
        }
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

static rd_kafka_t *new_producer(const char *bootstrap, const struct options *o, int with_overrides,
                                struct delivery_state *state) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set_conf(conf, "bootstrap.servers", bootstrap);
    set_conf(conf, "acks", o->acks);
    if (with_overrides) {
        apply_overrides(conf, o);
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, state);
    rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, conf);
    wait_for_partitions(rk, o);
    return rk;
}

/* Sends count records and waits for their delivery reports; returns 0 when all were delivered. */
static int produce_records(rd_kafka_t *rk, struct delivery_state *state, const char *payload,
                           const struct options *o, long long count, double deadline) {
    long long delivered_before = state->delivered;
    for (long long i = 0; i < count; i++) {
        for (;;) {
            /* No copy flag: the payload is shared by every record and outlives the producer. */
            rd_kafka_resp_err_t err = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(o->topic), RD_KAFKA_V_PARTITION(o->partition),
                RD_KAFKA_V_VALUE((void *)payload, o->size), RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                break;
            }
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                die("produce failed", rd_kafka_err2str(err));
            }
            rd_kafka_poll(rk, 1);
            if (now_seconds() > deadline) {
                fprintf(stderr, "rdkperf: produce timed out\n");
                return -1;
            }
        }
        if ((i & 0x3ff) == 0) {
            rd_kafka_poll(rk, 0);
        }
    }
    while (rd_kafka_outq_len(rk) > 0 && now_seconds() < deadline) {
        rd_kafka_poll(rk, 10);
    }
    rd_kafka_poll(rk, 0);
    long long delivered = state->delivered - delivered_before;
    if (delivered != count || state->failed) {
        fprintf(stderr, "rdkperf: produce delivered %lld of %lld, %lld failed (%s)%s\n", delivered, count,
                state->failed, state->failed ? rd_kafka_err2str(state->first_error) : "no error",
                now_seconds() >= deadline ? ", timed out" : "");
        return -1;
    }
    return 0;
}

static void destroy_producer(rd_kafka_t *rk) {
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk, 1000);
    rd_kafka_destroy(rk);
}

static char *new_payload(size_t size) {
    char *payload = malloc(size ? size : 1);
    for (size_t i = 0; i < size; i++) {
        payload[i] = (char)('a' + i % 26);
    }
    return payload;
}

/* The measured produce: returns the elapsed seconds, or -1 on failure. */
static double run_produce(const char *bootstrap, const struct options *o) {
    struct delivery_state state = {0, 0, RD_KAFKA_RESP_ERR_NO_ERROR};
    rd_kafka_t *rk = new_producer(bootstrap, o, 1, &state);
    char *payload = new_payload(o->size);
    double start = now_seconds();
    int err = produce_records(rk, &state, payload, o, o->count, start + o->timeout_s);
    double elapsed = now_seconds() - start;
    destroy_producer(rk);
    free(payload);
    return err ? -1 : elapsed;
}

/* *partitions receives the number of partition ids to track. */
static rd_kafka_t *new_consumer(const char *bootstrap, const struct options *o, const char *fetch_wait_ms,
                                int32_t *partitions) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set_conf(conf, "bootstrap.servers", bootstrap);
    if (fetch_wait_ms) {
        set_conf(conf, "fetch.wait.max.ms", fetch_wait_ms);
    }
    /* assign() needs a consumer with a group id; nothing is committed and no group is joined. */
    set_conf(conf, "group.id", "rdkperf");
    set_conf(conf, "enable.auto.commit", "false");
    set_conf(conf, "enable.auto.offset.store", "false");
    set_conf(conf, "enable.partition.eof", "false");
    /* A missing offset is a failure, not a reason to wait at the log end. */
    set_conf(conf, "auto.offset.reset", "error");
    /* librdkafka 2.0.2 stops fetching when its local queue holds queued.min.messages records (or
     * queued.max.messages.kbytes) and looks again only about a second later, even when the
     * application has drained the queue long before. Against a broker that answers faster than the
     * application reads, that idles the consumer for most of a second at a time and measures the
     * client's back-off rather than the broker, so the queue is allowed to hold the whole run. */
    set_conf(conf, "queued.min.messages", "10000000");
    set_conf(conf, "queued.max.messages.kbytes", "2097151");
    apply_overrides(conf, o);
    rd_kafka_t *rk = new_client(RD_KAFKA_CONSUMER, conf);
    *partitions = wait_for_partitions(rk, o);
    return rk;
}

/* The partition (-p) or partitions 0..partitions-1, each at offset. */
static rd_kafka_topic_partition_list_t *partition_list(const struct options *o, int32_t partitions,
                                                       int64_t offset) {
    int32_t first = o->partition >= 0 ? o->partition : 0;
    int32_t end = o->partition >= 0 ? o->partition + 1 : partitions;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(end - first);
    for (int32_t p = first; p < end; p++) {
        rd_kafka_topic_partition_list_add(list, o->topic, p)->offset = offset;
    }
    return list;
}

/* Reads `count` records; next[p] is the offset expected next in partition p (p < partitions) and
 * moves on with every record. Counts value bytes into *bytes. Returns 0 when all count records
 * arrived and each partition's offsets came in order without gaps. */
static int consume_records(rd_kafka_t *rk, long long *next, int32_t partitions, long long count,
                           double deadline, long long *bytes) {
    long long read = 0, out_of_order = 0, errors = 0;
    while (read < count && now_seconds() < deadline) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 100);
        if (!msg) {
            continue;
        }
        if (msg->err) {
            errors++;
            fprintf(stderr, "rdkperf: consume error: %s\n", rd_kafka_message_errstr(msg));
            if (msg->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET || errors >= 5) {
                rd_kafka_message_destroy(msg);
                break;
            }
        } else if (msg->partition < 0 || msg->partition >= partitions) {
            errors++;
            fprintf(stderr, "rdkperf: a record from unexpected partition %d\n", (int)msg->partition);
        } else {
            if (msg->offset != next[msg->partition]) {
                out_of_order++;
            }
            next[msg->partition] = msg->offset + 1;
            *bytes += (long long)msg->len;
            read++;
        }
        rd_kafka_message_destroy(msg);
    }
    if (read < count || out_of_order > 0) {
        fprintf(stderr, "rdkperf: consume read %lld of %lld records, %lld out of order, %lld errors%s\n", read,
                count, out_of_order, errors, now_seconds() >= deadline ? ", timed out" : "");
        return -1;
    }
    return 0;
}

static void close_consumer(rd_kafka_t *rk) {
    rd_kafka_assign(rk, NULL);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* The measured consume from a broker that already holds the records: the clock runs from the
 * assignment to the last record. Returns the elapsed seconds, or -1 on failure. */
static double run_consume(const char *bootstrap, const struct options *o, long long *bytes) {
    int32_t partitions;
    rd_kafka_t *rk = new_consumer(bootstrap, o, NULL, &partitions);
    long long *next = calloc((size_t)partitions, sizeof(*next));
    rd_kafka_topic_partition_list_t *list = partition_list(o, partitions, 0);
    double start = now_seconds();
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
        die("assign failed", rd_kafka_err2str(err));
    }
    int failed = consume_records(rk, next, partitions, o->count, start + o->timeout_s, bytes);
    double elapsed = now_seconds() - start;
    close_consumer(rk);
    free(next);
    return failed ? -1 : elapsed;
}

/* The measured consume from the mock cluster, which keeps only about the last 5 MB of a partition
 * and drops older batches. The records are written and read in rounds of about 3 MiB: each round
 * fills the partition with no assignment (not measured), then assigns the partition at the round's
 * first offset and reads the round (measured), as run_consume does once. A fresh assignment per
 * round is used because a resumed partition waits for the fetcher's next one-second check in
 * librdkafka 2.0.2. Each round pays one extra assignment and fetch round trip, so the mock looks
 * slightly slower than it is. */
static double run_consume_mock(const char *bootstrap, const struct options *o, long long *bytes) {
    struct delivery_state state = {0, 0, RD_KAFKA_RESP_ERR_NO_ERROR};
    rd_kafka_t *producer = new_producer(bootstrap, o, 0, &state);
    /* A fetch of the empty log end sent at the end of a round is held by the mock for
     * fetch.wait.max.ms; keeping that short lets it return while the next round is written, not
     * after the next assignment (one fetch is in flight per broker). */
    int32_t partitions;
    rd_kafka_t *consumer = new_consumer(bootstrap, o, "1", &partitions);
    long long *next = calloc((size_t)partitions, sizeof(*next));
    char *payload = new_payload(o->size);
    long long round_size = (3LL << 20) / ((long long)o->size + 16);
    if (round_size < 1) {
        round_size = 1;
    }

    double measured = 0, deadline = now_seconds() + o->timeout_s;
    int failed = 0;
    for (long long done = 0; done < o->count && !failed;) {
        long long n = o->count - done < round_size ? o->count - done : round_size;
        if (produce_records(producer, &state, payload, o, n, deadline)) {
            failed = 1;
            break;
        }
        rd_kafka_topic_partition_list_t *list = partition_list(o, partitions, done);
        double start = now_seconds();
        rd_kafka_resp_err_t err = rd_kafka_assign(consumer, list);
        if (err) {
            die("assign failed", rd_kafka_err2str(err));
        }
        next[o->partition] = done;
        failed = consume_records(consumer, next, partitions, n, deadline, bytes);
        measured += now_seconds() - start;
        rd_kafka_assign(consumer, NULL);
        rd_kafka_topic_partition_list_destroy(list);
        done += n;
    }

    close_consumer(consumer);
    destroy_producer(producer);
    free(payload);
    free(next);
    return failed ? -1 : measured;
}

static void report(const struct options *o, const char *target, double seconds, long long bytes) {
    double per_s = (double)o->count / seconds;
    double mb_per_s = (double)bytes / seconds / (1024.0 * 1024.0);
    printf("mode=%s target=%s records=%lld size=%zu seconds=%.3f records_per_s=%.0f mb_per_s=%.2f partition=%s\n",
           o->mode, target, o->count, o->size, seconds, per_s, mb_per_s, o->partition >= 0 ? "one" : "all");
    fflush(stdout);
}

int main(int argc, char **argv) {
    struct options o = {0};
    o.topic = "rdkperf";
    o.count = 1000000;
    o.size = 100;
    o.partition = RD_KAFKA_PARTITION_UA;
    o.acks = "all";
    o.timeout_s = 300;

    if (argc < 2) {
        usage();
    }
    if (!strcmp(argv[1], "version")) {
        printf("%s\n", rd_kafka_version_str());
        return 0;
    }
    o.mode = argv[1];
    if (strcmp(o.mode, "produce") && strcmp(o.mode, "consume")) {
        usage();
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--mock")) {
            o.mock = 1;
            continue;
        }
        if (!v) {
            usage();
        }
        if (!strcmp(a, "-b")) {
            o.bootstrap = v;
        } else if (!strcmp(a, "-t")) {
            o.topic = v;
        } else if (!strcmp(a, "-p")) {
            o.partition = (int32_t)parse_count(v, "bad partition");
        } else if (!strcmp(a, "-n")) {
            o.count = parse_count(v, "bad count");
        } else if (!strcmp(a, "-s")) {
            o.size = (size_t)parse_count(v, "bad size");
        } else if (!strcmp(a, "-a")) {
            o.acks = v;
        } else if (!strcmp(a, "-T")) {
            o.timeout_s = (double)parse_count(v, "bad timeout");
        } else if (!strcmp(a, "-X")) {
            if (o.override_count == MAX_OVERRIDES) {
                die("too many -X options", NULL);
            }
            o.overrides[o.override_count++] = v;
        } else {
            usage();
        }
        i++;
    }
    if (o.mock == (o.bootstrap != NULL)) {
        die("give exactly one of -b and --mock", NULL);
    }
    /* The mock keeps too little of a partition to read it whole; consume --mock reads one partition in rounds. */
    if (o.mock && o.partition < 0 && !strcmp(o.mode, "consume")) {
        o.partition = 0;
    }

    rd_kafka_t *mock_owner = NULL;
    rd_kafka_mock_cluster_t *mcluster = NULL;
    const char *bootstrap = o.bootstrap;
    const char *target = o.bootstrap;
    if (o.mock) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        set_conf(conf, "log_level", "3");
        mock_owner = new_client(RD_KAFKA_PRODUCER, conf);
        mcluster = rd_kafka_mock_cluster_new(mock_owner, 1);
        if (!mcluster) {
            die("cannot start the mock cluster", NULL);
        }
        rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(mcluster, o.topic, o.partition < 0 ? 1 : o.partition + 1, 1);
        if (err) {
            die("cannot create the mock topic", rd_kafka_err2str(err));
        }
        bootstrap = rd_kafka_mock_cluster_bootstraps(mcluster);
        target = "mock";
    }

    int status = 0;
    if (!strcmp(o.mode, "produce")) {
        double seconds = run_produce(bootstrap, &o);
        if (seconds < 0) {
            status = 1;
        } else {
            report(&o, target, seconds, o.count * (long long)o.size);
        }
    } else {
        long long bytes = 0;
        double seconds =
            o.mock ? run_consume_mock(bootstrap, &o, &bytes) : run_consume(bootstrap, &o, &bytes);
        if (seconds < 0) {
            status = 1;
        } else {
            report(&o, target, seconds, bytes);
        }
    }

    if (mcluster) {
        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(mock_owner);
    }
    return status;
}
