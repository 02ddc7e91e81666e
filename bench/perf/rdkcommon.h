/*
 * Helpers the librdkafka bench drivers (rdkperf.c, rdktxn.c) share. Define RDK_PROGRAM (the driver's name, for
 * error lines) before including this file.
 */
#ifndef RDKCOMMON_H
#define RDKCOMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

/* Counts delivery reports; the opaque of on_delivery. */
struct delivery_state {
    long long delivered;
    long long failed;
    rd_kafka_resp_err_t first_error;
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail) {
    fprintf(stderr, RDK_PROGRAM ": %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static void set_conf(rd_kafka_conf_t *conf, const char *key, const char *value) {
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        die("bad configuration", errstr);
    }
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque) {
    (void)rk;
    struct delivery_state *state = opaque;
    if (msg->err) {
        if (state->failed++ == 0) {
            state->first_error = msg->err;
        }
    } else {
        state->delivered++;
    }
}

/* Waits until the topic's metadata names a leader for the partition, so connection set-up and
 * topic lookup happen before the clock starts. */
static void wait_for_leader(rd_kafka_t *rk, const char *topic, int32_t partition) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    double deadline = now_seconds() + 30;
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
        int ready = 0;
        if (!err && md->topic_cnt == 1 && !md->topics[0].err) {
            for (int i = 0; i < md->topics[0].partition_cnt; i++) {
                const rd_kafka_metadata_partition_t *p = &md->topics[0].partitions[i];
                if (p->id == partition && !p->err && p->leader >= 0) {
                    ready = 1;
                }
            }
        }
        if (md) {
            rd_kafka_metadata_destroy(md);
        }
        if (ready) {
            break;
        }
        if (now_seconds() > deadline) {
            die("no leader for the partition", topic);
        }
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    rd_kafka_topic_destroy(rkt);
}

static long long parse_count(const char *s, const char *what) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 0) {
        die(what, s);
    }
    return v;
}

#endif
