/*
 * Pool events through the C API: a callback and its userdata subscribed to every pool
 * or to one, called on kvmpool's event thread (never the subscriber's) for define,
 * build, start, refresh, stop, delete and undefine; a subscription for one pool sees
 * no other pool; once kvmpool_subscription_free() returns no call runs (a call under
 * way is waited for), also when a callback frees its own subscription. Runs on
 * test:///default and, when KVMPOOL_TEST_URI is set, on the live daemon with a dir pool
 * whose target is under KVMPOOL_TEST_DIR (prints SKIPPED for the live part otherwise).
 */
#include "kvmpool_test.h"

#include <pthread.h>
#include <time.h>

enum { MAX_EVENTS = 512, TIMEOUT_MS = 10000 };

struct event {
    char pool[128];
    char uuid[64];
    char kind[16];
};

/* What a callback saw: written on the event thread, read on the main thread. */
struct recorder {
    pthread_mutex_t lock;
    struct event events[MAX_EVENTS];
    int count;
    int overflow;
    pthread_t subscriber;               /* the thread that subscribed */
    _Atomic int on_subscriber_thread;   /* calls that ran on it (must stay 0) */
    _Atomic int calls;
    _Atomic int in_call;                /* 1 while the callback runs */
    _Atomic int slow_ms;                /* how long each call takes */
    _Atomic int freed;                  /* set by the main thread after free returned */
    _Atomic int calls_after_free;
    _Atomic(kvmpool_subscription *) free_self; /* the callback frees this, once */
};

static void recorder_init(struct recorder *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->subscriber = pthread_self();
    atomic_store(&r->free_self, NULL);
}

static void recorder_destroy(struct recorder *r)
{
    pthread_mutex_destroy(&r->lock);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_event(const char *pool_name, const char *uuid, const char *event_kind,
                     void *userdata)
{
    struct recorder *r = userdata;
    r->in_call = 1;
    r->calls++;
    if (r->freed)
        r->calls_after_free++;
    if (pthread_equal(pthread_self(), r->subscriber))
        r->on_subscriber_thread++;
    pthread_mutex_lock(&r->lock);
    if (r->count < MAX_EVENTS) {
        struct event *e = &r->events[r->count++];
        snprintf(e->pool, sizeof e->pool, "%s", pool_name);
        snprintf(e->uuid, sizeof e->uuid, "%s", uuid);
        snprintf(e->kind, sizeof e->kind, "%s", event_kind);
    } else {
        r->overflow = 1;
    }
    pthread_mutex_unlock(&r->lock);
    if (r->slow_ms > 0)
        sleep_ms(r->slow_ms);
    kvmpool_subscription *self = atomic_exchange(&r->free_self, NULL);
    if (self != NULL)
        kvmpool_subscription_free(self);
    r->in_call = 0;
}

/* The kinds of `pool`'s events so far, space-separated, into `out`. */
static const char *kinds_of(struct recorder *r, const char *pool, char *out, size_t size)
{
    out[0] = '\0';
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->count; i++) {
        if (strcmp(r->events[i].pool, pool) != 0)
            continue;
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", len ? " " : "", r->events[i].kind);
    }
    pthread_mutex_unlock(&r->lock);
    return out;
}

/* Events of pools other than `pool`. */
static int others_than(struct recorder *r, const char *pool)
{
    int n = 0;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->count; i++)
        n += strcmp(r->events[i].pool, pool) != 0;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* Wait (at most TIMEOUT_MS) until `pool`'s events, in order, are `want`; returns
 * whether they are, leaving what was seen in `got`. */
static int wait_kinds(struct recorder *r, const char *pool, const char *want, char *got,
                      size_t size)
{
    long long deadline = now_ms() + TIMEOUT_MS;
    for (;;) {
        kinds_of(r, pool, got, size);
        if (strcmp(got, want) == 0)
            return 1;
        /* Past the wanted prefix: no point waiting. */
        if (strlen(got) >= strlen(want) || now_ms() > deadline)
            return 0;
        sleep_ms(10);
    }
}

#define CHECK_KINDS(r, pool, want)                                                         \
    do {                                                                                   \
        char kt_got_[1024];                                                                \
        int kt_ok_ = wait_kinds((r), (pool), (want), kt_got_, sizeof kt_got_);             \
        kt_checks++;                                                                       \
        if (!kt_ok_) {                                                                     \
            kt_failed++;                                                                   \
            fprintf(stderr, "%s:%d: FAILED: events of %s\n    got  \"%s\"\n    want \"%s\"\n", \
                    __FILE__, __LINE__, (pool), kt_got_, (want));                          \
        }                                                                                  \
    } while (0)

/* Wait until `cond` holds or TIMEOUT_MS passed. */
#define WAIT_FOR(cond)                                                                     \
    do {                                                                                   \
        long long kt_deadline_ = now_ms() + TIMEOUT_MS;                                    \
        while (!(cond) && now_ms() < kt_deadline_)                                         \
            sleep_ms(5);                                                                   \
    } while (0)

static void null_arguments(kvmpool_conn *conn)
{
    struct recorder r;
    recorder_init(&r);
    kvmpool_subscription *sub = (kvmpool_subscription *)&r; /* a sentinel */
    CHECK_STATUS(kvmpool_conn_subscribe_pool_events(NULL, NULL, on_event, &r, &sub),
                 KVMPOOL_ERR_NULL);
    CHECK_STREQ(kvmpool_last_error_field(), "conn");
    CHECK_STATUS(kvmpool_conn_subscribe_pool_events(conn, NULL, NULL, &r, &sub),
                 KVMPOOL_ERR_NULL);
    CHECK_STREQ(kvmpool_last_error_field(), "callback");
    CHECK_STATUS(kvmpool_conn_subscribe_pool_events(conn, NULL, on_event, &r, NULL),
                 KVMPOOL_ERR_NULL);
    CHECK_STREQ(kvmpool_last_error_field(), "subscription_out");
    CHECK(sub == (kvmpool_subscription *)&r);
    kvmpool_subscription_free(NULL);
    recorder_destroy(&r);
}

/*
 * The walk-through on one connection: `target` is where the dir pool lives (built
 * and deleted by libvirt). Returns after cleaning up.
 */
static void lifecycle(kvmpool_conn *conn, const char *where, const char *name,
                      const char *other_name, const char *target)
{
    struct recorder all, mine;
    recorder_init(&all);
    recorder_init(&mine);
    kvmpool_subscription *sub_all = NULL, *sub_mine = NULL;
    REQUIRE_OK(kvmpool_conn_subscribe_pool_events(conn, NULL, on_event, &all, &sub_all));

    kvmpool_pool_spec *spec = NULL, *other_spec = NULL;
    kvmpool_pool *pool = NULL, *other = NULL;
    REQUIRE_OK(kvmpool_pool_spec_dir(name, target, &spec));
    REQUIRE_OK(kvmpool_pool_define(conn, spec, &pool));
    /* Events arrive asynchronously: wait for "defined" before subscribing to the one
     * pool, or that subscription may see it too. */
    CHECK_KINDS(&all, name, "defined");
    CHECK_OK(kvmpool_conn_subscribe_pool_events(conn, pool, on_event, &mine, &sub_mine));

    CHECK_OK(kvmpool_pool_build(pool, KVMPOOL_BUILD_NORMAL));
    CHECK_OK(kvmpool_pool_start(pool));
    CHECK_OK(kvmpool_pool_refresh(pool));
    CHECK_OK(kvmpool_pool_destroy(pool));
    CHECK_OK(kvmpool_pool_delete(pool, KVMPOOL_DELETE_NORMAL));
    CHECK_OK(kvmpool_pool_undefine(pool));

    /* Another pool: the one-pool subscription must not see it. */
    REQUIRE_OK(kvmpool_pool_spec_dir(other_name, "/nonexistent-kvmpool-c-events", &other_spec));
    CHECK_OK(kvmpool_pool_define(conn, other_spec, &other));
    CHECK_OK(kvmpool_pool_undefine(other));

    CHECK_KINDS(&all, name, "defined created started refreshed stopped deleted undefined");
    CHECK_KINDS(&mine, name, "created started refreshed stopped deleted undefined");
    CHECK_KINDS(&all, other_name, "defined undefined");
    CHECK(others_than(&mine, name) == 0);
    CHECK(all.on_subscriber_thread == 0 && mine.on_subscriber_thread == 0);
    CHECK(!all.overflow);

    /* The UUID handed to the callback is the pool's. */
    char *s = NULL, uuid[64];
    CHECK_OK(kvmpool_pool_uuid(pool, &s));
    snprintf(uuid, sizeof uuid, "%s", s ? s : "");
    kvmpool_string_free(s);
    pthread_mutex_lock(&mine.lock);
    int same_uuid = mine.count > 0;
    for (int i = 0; i < mine.count; i++)
        same_uuid &= strcmp(mine.events[i].uuid, uuid) == 0;
    pthread_mutex_unlock(&mine.lock);
    CHECK(same_uuid);
    printf("%s: %d events for all pools, %d for %s (uuid %s)\n", where, all.calls, mine.calls,
           name, uuid);

    /* Free waits for a call under way: a slow callback is inside when free is called,
     * and done when it returns. */
    mine.slow_ms = 300;
    all.slow_ms = 300;
    kvmpool_pool_free(other);
    other = NULL;
    CHECK_OK(kvmpool_pool_define(conn, other_spec, &other));
    WAIT_FOR(all.in_call);
    CHECK(all.in_call);
    long long t0 = now_ms();
    kvmpool_subscription_free(sub_all);
    long long waited = now_ms() - t0;
    all.freed = 1;
    CHECK(!all.in_call);
    printf("%s: kvmpool_subscription_free waited %lld ms for the call under way\n", where,
           waited);
    int calls = all.calls;
    CHECK_OK(kvmpool_pool_undefine(other));
    kvmpool_subscription_free(sub_mine);
    mine.freed = 1;
    sleep_ms(400);
    CHECK(all.calls == calls && all.calls_after_free == 0 && mine.calls_after_free == 0);

    /* A callback that frees its own subscription: that call is the last one. */
    struct recorder selfish;
    recorder_init(&selfish);
    kvmpool_subscription *sub_self = NULL;
    REQUIRE_OK(kvmpool_conn_subscribe_pool_events(conn, NULL, on_event, &selfish, &sub_self));
    atomic_store(&selfish.free_self, sub_self);
    kvmpool_pool_free(other);
    other = NULL;
    CHECK_OK(kvmpool_pool_define(conn, other_spec, &other));
    WAIT_FOR(selfish.calls > 0 && atomic_load(&selfish.free_self) == NULL && !selfish.in_call);
    CHECK(selfish.calls == 1 && atomic_load(&selfish.free_self) == NULL);
    CHECK_OK(kvmpool_pool_undefine(other));
    sleep_ms(300);
    CHECK(selfish.calls == 1);

    /* The event thread starts again for a new subscription after the last one went. */
    struct recorder again;
    recorder_init(&again);
    kvmpool_subscription *sub_again = NULL;
    CHECK_OK(kvmpool_conn_subscribe_pool_events(conn, NULL, on_event, &again, &sub_again));
    kvmpool_pool_free(other);
    other = NULL;
    CHECK_OK(kvmpool_pool_define(conn, other_spec, &other));
    CHECK_OK(kvmpool_pool_undefine(other));
    CHECK_KINDS(&again, other_name, "defined undefined");
    kvmpool_subscription_free(sub_again);

    kvmpool_pool_free(other);
    kvmpool_pool_free(pool);
    kvmpool_pool_spec_free(other_spec);
    kvmpool_pool_spec_free(spec);
    recorder_destroy(&all);
    recorder_destroy(&mine);
    recorder_destroy(&selfish);
    recorder_destroy(&again);
}

/* Freeing the connection handle first: the subscription keeps its own link. */
static void subscription_outlives_connection(const char *uri, const char *name)
{
    kvmpool_conn *conn = NULL, *other = NULL;
    REQUIRE_OK(kvmpool_connect(uri, &conn));
    REQUIRE_OK(kvmpool_connect(uri, &other));
    struct recorder r;
    recorder_init(&r);
    kvmpool_subscription *sub = NULL;
    REQUIRE_OK(kvmpool_conn_subscribe_pool_events(conn, NULL, on_event, &r, &sub));
    kvmpool_conn_free(conn);
    kvmpool_pool_spec *spec = NULL;
    kvmpool_pool *pool = NULL;
    REQUIRE_OK(kvmpool_pool_spec_dir(name, "/nonexistent-kvmpool-c-events", &spec));
    CHECK_OK(kvmpool_pool_define(other, spec, &pool));
    CHECK_OK(kvmpool_pool_undefine(pool));
    CHECK_KINDS(&r, name, "defined undefined");
    kvmpool_subscription_free(sub);
    kvmpool_pool_free(pool);
    kvmpool_pool_spec_free(spec);
    kvmpool_conn_free(other);
    recorder_destroy(&r);
}

int main(void)
{
    char name[96], other_name[96], scratch[1024], target[1200];
    long pid = (long)getpid();

    /* test:///default: one shared state per process, events included. */
    kvmpool_conn *conn = NULL;
    REQUIRE_OK(kvmpool_connect("test:///default", &conn));
    null_arguments(conn);
    snprintf(name, sizeof name, "kvmpool-c-events-%ld", pid);
    snprintf(other_name, sizeof other_name, "kvmpool-c-events-other-%ld", pid);
    snprintf(target, sizeof target, "/kvmpool-c-events-%ld", pid);
    lifecycle(conn, "test:///default", name, other_name, target);
    kvmpool_conn_free(conn);
    snprintf(name, sizeof name, "kvmpool-c-events-late-%ld", pid);
    subscription_outlives_connection("test:///default", name);

    const char *uri = kt_live_uri("pool events on a real daemon");
    if (uri != NULL) {
        kt_scratch(scratch, sizeof scratch, "events");
        snprintf(target, sizeof target, "%s/pool", scratch);
        snprintf(name, sizeof name, "kvmpool-c-events-live-%ld", pid);
        snprintf(other_name, sizeof other_name, "kvmpool-c-events-live-other-%ld", pid);
        REQUIRE_OK(kvmpool_connect(uri, &conn));
        lifecycle(conn, "live daemon", name, other_name, target);
        kvmpool_conn_free(conn);
        snprintf(name, sizeof name, "kvmpool-c-events-live-late-%ld", pid);
        subscription_outlives_connection(uri, name);
        kt_rmtree(scratch);
    }
    return kt_finish("test_events");
}
