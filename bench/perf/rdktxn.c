/*
 * rdktxn: producer throughput of one librdkafka client in three modes, for txn-cost.sh.
 *
 *   rdktxn (-b HOST:PORT | --mock) -t TOPIC -m plain|idempotent|txn [-p PARTITION] [-n COUNT] [-s SIZE]
 *          [-x RECORDS_PER_TXN] [-T SECONDS] [-X key=value ...]
 *
 * plain:      acks=all, enable.idempotence=false; COUNT records sent as fast as the client allows, then
 *             every delivery report awaited (as rdkperf produce).
 * idempotent: the same with enable.idempotence=true (librdkafka then also uses acks=all).
 * txn:        transactional.id set; init_transactions, then COUNT / RECORDS_PER_TXN times: begin_transaction,
 *             RECORDS_PER_TXN produces, commit_transaction (which waits for the records' delivery and for
 *             the coordinator's EndTxn answer, as an application committing every N records does).
 *
 * The clock starts once the partition's leader is known (and, for txn, after init_transactions: producer
 * id set-up is not measured) and stops at the last delivery report (plain, idempotent) or at the return
 * of the last commit (txn). Every record has a SIZE-byte value and no key, to one partition.
 *
 * --mock:     librdkafka's in-memory mock cluster (one broker on loopback, inside this process, TOPIC created
 *             there) instead of -b: the same client code against a broker that does no I/O, so the figures
 *             show what the client itself allows (librdkafka 2.0.2's mock accepts the transactional
 *             requests without writing markers).
 *
 * Output: one line of key=value pairs, for example
 *   target=samsa mode=txn records=200000 size=100 txn_size=100 transactions=2000 seconds=1.234 records_per_s=162074 mb_per_s=15.46
 * The exit code is 0 only when all COUNT records were delivered (and, for txn, every commit succeeded).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define RDK_PROGRAM "rdktxn"
#include "rdkcommon.h"

#define MAX_OVERRIDES 64

struct options {
    const char *bootstrap;
    int mock;
    const char *topic;
    const char *mode;
    int32_t partition;
    long long count;
    size_t size;
    long long txn_size;
    double timeout_s;
    const char *overrides[MAX_OVERRIDES];
    int override_count;
};

static void usage(void) {
    fprintf(stderr, "usage: rdktxn (-b HOST:PORT | --mock) -t TOPIC -m plain|idempotent|txn [-p PARTITION] [-n COUNT] [-s SIZE]\n"
                    "              [-x RECORDS_PER_TXN] [-T SECONDS] [-X key=value ...]\n");
    exit(2);
}

/* librdkafka's transactional calls return an error object; this one ends the run with its text. */
static void check_txn(rd_kafka_error_t *error, const char *what) {
    if (error) {
        fprintf(stderr, "rdktxn: %s failed: %s%s\n", what, rd_kafka_error_string(error),
                rd_kafka_error_is_fatal(error) ? " (fatal)" : "");
        rd_kafka_error_destroy(error);
        exit(1);
    }
}

/* Queues one record, serving delivery reports while librdkafka's queue is full. */
static int produce_one(rd_kafka_t *rk, const struct options *o, const char *payload, double deadline) {
    for (;;) {
        /* No copy flag: the payload is shared by every record and outlives the producer. */
        rd_kafka_resp_err_t err =
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o->topic), RD_KAFKA_V_PARTITION(o->partition),
                              RD_KAFKA_V_VALUE((void *)payload, o->size), RD_KAFKA_V_MSGFLAGS(0), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            return 0;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            die("produce failed", rd_kafka_err2str(err));
        }
        rd_kafka_poll(rk, 1);
        if (now_seconds() > deadline) {
            fprintf(stderr, "rdktxn: produce timed out\n");
            return -1;
        }
    }
}

int main(int argc, char **argv) {
    struct options o = {0};
    o.count = 1000000;
    o.size = 100;
    o.txn_size = 100;
    o.timeout_s = 300;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--mock")) {
            o.mock = 1;
            continue;
        }
        if (i + 1 >= argc) {
            usage();
        }
        const char *v = argv[++i];
        if (!strcmp(a, "-b")) {
            o.bootstrap = v;
        } else if (!strcmp(a, "-t")) {
            o.topic = v;
        } else if (!strcmp(a, "-m")) {
            o.mode = v;
        } else if (!strcmp(a, "-p")) {
            o.partition = (int32_t)parse_count(v, "bad partition");
        } else if (!strcmp(a, "-n")) {
            o.count = parse_count(v, "bad count");
        } else if (!strcmp(a, "-s")) {
            o.size = (size_t)parse_count(v, "bad size");
        } else if (!strcmp(a, "-x")) {
            o.txn_size = parse_count(v, "bad records per transaction");
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
    }
    if (o.mock == (o.bootstrap != NULL) || !o.topic || !o.mode || o.txn_size < 1) {
        usage();
    }
    rd_kafka_t *mock_owner = NULL;
    rd_kafka_mock_cluster_t *mcluster = NULL;
    if (o.mock) {
        rd_kafka_conf_t *mconf = rd_kafka_conf_new();
        set_conf(mconf, "log_level", "3");
        char merr[512];
        mock_owner = rd_kafka_new(RD_KAFKA_PRODUCER, mconf, merr, sizeof(merr));
        if (!mock_owner) {
            die("cannot create the mock cluster's owner", merr);
        }
        mcluster = rd_kafka_mock_cluster_new(mock_owner, 1);
        if (!mcluster) {
            die("cannot start the mock cluster", NULL);
        }
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mcluster, o.topic, o.partition + 1, 1);
        if (err) {
            die("cannot create the mock topic", rd_kafka_err2str(err));
        }
        o.bootstrap = rd_kafka_mock_cluster_bootstraps(mcluster);
    }
    int txn = !strcmp(o.mode, "txn");
    if (!txn && strcmp(o.mode, "plain") && strcmp(o.mode, "idempotent")) {
        usage();
    }

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set_conf(conf, "bootstrap.servers", o.bootstrap);
    set_conf(conf, "acks", "all");
    set_conf(conf, "enable.idempotence", strcmp(o.mode, "plain") ? "true" : "false");
    if (txn) {
        char id[64];
        snprintf(id, sizeof(id), "rdktxn-%ld", (long)getpid());
        set_conf(conf, "transactional.id", id);
    }
    for (int i = 0; i < o.override_count; i++) {
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s", o.overrides[i]);
        char *eq = strchr(buf, '=');
        if (!eq) {
            die("-X expects key=value, not", o.overrides[i]);
        }
        *eq = '\0';
        set_conf(conf, buf, eq + 1);
    }
    struct delivery_state state = {0, 0, RD_KAFKA_RESP_ERR_NO_ERROR};
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &state);
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        die("cannot create the producer", errstr);
    }
    wait_for_leader(rk, o.topic, o.partition);
    int timeout_ms = (int)(o.timeout_s * 1000);
    if (txn) {
        check_txn(rd_kafka_init_transactions(rk, timeout_ms), "init_transactions");
    }

    char *payload = malloc(o.size ? o.size : 1);
    for (size_t i = 0; i < o.size; i++) {
        payload[i] = (char)('a' + i % 26);
    }
    long long transactions = 0;
    double start = now_seconds(), deadline = start + o.timeout_s;
    int failed = 0;
    if (txn) {
        for (long long sent = 0; sent < o.count && !failed;) {
            check_txn(rd_kafka_begin_transaction(rk), "begin_transaction");
            long long n = o.count - sent < o.txn_size ? o.count - sent : o.txn_size;
            for (long long i = 0; i < n && !failed; i++) {
                failed = produce_one(rk, &o, payload, deadline);
            }
            if (failed) {
                break;
            }
            int left_ms = (int)((deadline - now_seconds()) * 1000);
            check_txn(rd_kafka_commit_transaction(rk, left_ms > 0 ? left_ms : 1), "commit_transaction");
            rd_kafka_poll(rk, 0);
            sent += n;
            transactions++;
        }
    } else {
        for (long long i = 0; i < o.count && !failed; i++) {
            failed = produce_one(rk, &o, payload, deadline);
            if ((i & 0x3ff) == 0) {
                rd_kafka_poll(rk, 0);
            }
        }
        while (!failed && rd_kafka_outq_len(rk) > 0 && now_seconds() < deadline) {
            rd_kafka_poll(rk, 10);
        }
    }
    rd_kafka_poll(rk, 0);
    double seconds = now_seconds() - start;

    int status = 0;
    if (failed || state.delivered != o.count || state.failed) {
        fprintf(stderr, "rdktxn: %s delivered %lld of %lld, %lld failed (%s)%s\n", o.mode, state.delivered, o.count,
                state.failed, state.failed ? rd_kafka_err2str(state.first_error) : "no error",
                now_seconds() >= deadline ? ", timed out" : "");
        status = 1;
    } else {
        printf("target=%s mode=%s records=%lld size=%zu txn_size=%lld transactions=%lld seconds=%.3f records_per_s=%.0f "
               "mb_per_s=%.2f\n",
               o.mock ? "mock" : "samsa", o.mode, o.count, o.size, txn ? o.txn_size : 0, transactions, seconds, (double)o.count / seconds,
               (double)o.count * (double)o.size / seconds / (1024.0 * 1024.0));
        fflush(stdout);
    }
    rd_kafka_flush(rk, 5000);
    rd_kafka_destroy(rk);
    free(payload);
    if (mcluster) {
        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(mock_owner);
    }
    return status;
}
