/*
 * Load through the C API (issue 10, "Load"): 4 threads x 200 mixed operations on one
 * dir pool, sharing one connection and one pool handle. Each thread works on volumes of
 * its own (names "c<thread>-<n>.<ext>"), with its own seeded RNG, and keeps a model of
 * what it should have left (name -> capacity); afterwards the pool's volumes (names
 * and capacities) must be exactly the union of the models, and no call may fail: in
 * particular none may return KVMPOOL_ERR_BUSY (kvmpool retries those).
 *
 * test:///default (always): create, clone, delete, listings, refreshes (the test
 * driver has no upload or resize). Live daemon (KVMPOOL_TEST_URI): also resize (grow
 * and shrink), small uploads checked by downloading them back, raw and qcow2, and
 * creates that libvirt refuses (qcow2 over a missing backing file), which must leave
 * nothing and remove nothing of the other threads; the final state is checked as listed, after a refresh, and as files in the target.
 *
 * KVMPOOL_LOAD_OPS overrides the 200 operations per thread, KVMPOOL_LOAD_SEED the seed.
 */
#include "kvmpool_test.h"

#include <inttypes.h>
#include <pthread.h>

#define THREADS 4
#define MAX_OWN 8    /* volumes a thread keeps at most (beyond it, it deletes) */
#define MAX_ERRORS 5 /* errors a thread records before it stops */
#define MiB (1024ull * 1024ull)

struct own {
    char name[64];
    uint64_t capacity;
    int qcow2;
};

struct shared {
    kvmpool_conn *conn;
    kvmpool_pool *pool;
    int live;
    int ops;
    uint64_t seed;
    char dir[1024];
    pthread_barrier_t barrier;
};

struct worker {
    struct shared *sh;
    int id;
    uint64_t rng;
    struct own own[MAX_OWN];
    int n_own;
    int serial;
    int errors, busy;
    int done[8];
    char local[1200], back[1200];
};

enum {
    OP_CREATE,
    OP_CLONE,
    OP_RESIZE,
    OP_UPLOAD,
    OP_DELETE,
    OP_LIST,
    OP_REFRESH,
    OP_BAD_CREATE,
    N_OPS
};
static const char *const op_names[N_OPS] = {"create", "clone",   "resize", "upload",
                                            "delete", "list", "refresh", "bad-create"};
/* Weights per operation, on the live daemon and on the test driver (which has no
 * upload or resize, and does not check backing files). */
static const int live_weights[N_OPS] = {22, 14, 18, 18, 18, 6, 4, 3};
static const int test_weights[N_OPS] = {35, 20, 0, 0, 35, 6, 4, 0};

static uint64_t next_rand(struct worker *w)
{
    uint64_t x = w->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return w->rng = x;
}

static int rand_below(struct worker *w, int n)
{
    return (int)(next_rand(w) % (uint64_t)n);
}

/* A call that must succeed; a failure is reported with the thread and the operation,
 * KVMPOOL_ERR_BUSY counted apart. Evaluates to 1 on success. */
static int ok(struct worker *w, int i, const char *what, kvmpool_status rc)
{
    kt_checks++;
    if (rc == KVMPOOL_OK)
        return 1;
    kt_failed++;
    w->errors++;
    if (rc == KVMPOOL_ERR_BUSY)
        w->busy++;
    fprintf(stderr, "FAILED: thread %d op #%d %s: %s%s: %s (seed %" PRIu64 ")\n", w->id, i, what,
            kvmpool_status_name(rc), rc == KVMPOOL_ERR_BUSY ? " (Busy reached the caller)" : "",
            kvmpool_last_error_message(), w->sh->seed);
    return 0;
}

/* A check of the result; reported like ok(). */
static void expect(struct worker *w, int i, int cond, const char *what)
{
    kt_checks++;
    if (!cond) {
        kt_failed++;
        w->errors++;
        fprintf(stderr, "FAILED: thread %d op #%d: %s (seed %" PRIu64 ")\n", w->id, i, what,
                w->sh->seed);
    }
}

static uint64_t capacity_of(struct worker *w, int i, const kvmpool_vol *vol)
{
    kvmpool_vol_details d;
    memset(&d, 0, sizeof d);
    return ok(w, i, "vol_info", kvmpool_vol_info(vol, &d)) ? d.capacity : UINT64_MAX;
}

static void new_name(struct worker *w, int qcow2, char *out, size_t size)
{
    snprintf(out, size, "c%d-%d.%s", w->id, ++w->serial, qcow2 ? "qcow2" : "img");
}

/* An own volume at random (raw only when asked), or -1. */
static int pick(struct worker *w, int raw_only)
{
    int idx[MAX_OWN], n = 0;
    for (int k = 0; k < w->n_own; k++)
        if (!raw_only || !w->own[k].qcow2)
            idx[n++] = k;
    return n ? idx[rand_below(w, n)] : -1;
}

static kvmpool_vol *lookup(struct worker *w, int i, const char *name)
{
    kvmpool_vol *v = NULL;
    ok(w, i, name, kvmpool_vol_lookup(w->sh->pool, name, &v));
    return v;
}

static int op_create(struct worker *w, int i)
{
    struct own o;
    memset(&o, 0, sizeof o);
    o.qcow2 = w->sh->live && rand_below(w, 4) == 0;
    o.capacity = (uint64_t)(1 + rand_below(w, 8)) * MiB;
    new_name(w, o.qcow2, o.name, sizeof o.name);
    kvmpool_vol_spec *spec = NULL;
    kvmpool_vol *vol = NULL;
    if (!ok(w, i, "vol_spec_new", kvmpool_vol_spec_new(o.name, o.capacity, &spec)))
        return 0;
    int good = ok(w, i, "vol_spec_set_format",
                  kvmpool_vol_spec_set_format(spec, o.qcow2 ? "qcow2" : "raw")) &&
               ok(w, i, "vol_create", kvmpool_vol_create(w->sh->pool, spec, &vol));
    if (good) {
        w->done[OP_CREATE]++;
        w->own[w->n_own++] = o;
        expect(w, i, capacity_of(w, i, vol) == o.capacity, "created volume has its capacity");
    }
    kvmpool_vol_free(vol);
    kvmpool_vol_spec_free(spec);
    return good;
}

static int op_clone(struct worker *w, int i)
{
    int k = pick(w, 0);
    if (k < 0)
        return op_create(w, i);
    struct own o = w->own[k];
    new_name(w, o.qcow2, o.name, sizeof o.name);
    kvmpool_vol *src = lookup(w, i, w->own[k].name), *vol = NULL;
    int good = src != NULL && ok(w, i, "vol_clone", kvmpool_vol_clone(src, o.name, false, &vol));
    if (good) {
        w->done[OP_CLONE]++;
        w->own[w->n_own++] = o;
        expect(w, i, capacity_of(w, i, vol) == o.capacity, "clone has the source's capacity");
    }
    kvmpool_vol_free(vol);
    kvmpool_vol_free(src);
    return good;
}

static int op_resize(struct worker *w, int i)
{
    int k = pick(w, 0);
    if (k < 0)
        return op_create(w, i);
    struct own *o = &w->own[k];
    uint64_t want;
    uint32_t flags = 0;
    if (!o->qcow2 && o->capacity > MiB && rand_below(w, 10) < 3) {
        want = o->capacity - MiB;
        flags = KVMPOOL_RESIZE_SHRINK;
    } else {
        want = o->capacity + (uint64_t)(1 + rand_below(w, 4)) * MiB;
    }
    kvmpool_vol *vol = lookup(w, i, o->name);
    int good = vol != NULL && ok(w, i, "vol_resize", kvmpool_vol_resize(vol, want, flags));
    if (good) {
        w->done[OP_RESIZE]++;
        o->capacity = want;
        expect(w, i, capacity_of(w, i, vol) == want, "resized volume has the new capacity");
    }
    kvmpool_vol_free(vol);
    return good;
}

static int op_upload(struct worker *w, int i)
{
    int k = pick(w, 1);
    if (k < 0)
        return op_create(w, i);
    struct own *o = &w->own[k];
    size_t len = (size_t)(1 + rand_below(w, 64)) * 1024;
    uint64_t offset = next_rand(w) % (o->capacity - len + 1);
    unlink(w->local);
    if (kt_write_at(w->local, 0, len, next_rand(w)) != 0) {
        expect(w, i, 0, "write the local file to upload");
        return 0;
    }
    kvmpool_vol *vol = lookup(w, i, o->name);
    int good = vol != NULL &&
               ok(w, i, "vol_upload_file",
                  kvmpool_vol_upload_file(vol, w->local, offset, 0, false, NULL, NULL)) &&
               ok(w, i, "vol_download_file",
                  kvmpool_vol_download_file(vol, w->back, offset, len, false, NULL, NULL));
    if (good) {
        w->done[OP_UPLOAD]++;
        expect(w, i, kt_same_file(w->local, w->back), "downloaded bytes are the uploaded ones");
        expect(w, i, capacity_of(w, i, vol) == o->capacity, "upload kept the capacity");
    }
    kvmpool_vol_free(vol);
    return good;
}

static int op_delete(struct worker *w, int i)
{
    int k = pick(w, 0);
    if (k < 0)
        return op_create(w, i);
    kvmpool_vol *vol = lookup(w, i, w->own[k].name), *gone = NULL;
    int good = vol != NULL && ok(w, i, "vol_delete", kvmpool_vol_delete(vol, KVMPOOL_DELETE_NORMAL));
    if (good) {
        w->done[OP_DELETE]++;
        kvmpool_status rc = kvmpool_vol_lookup(w->sh->pool, w->own[k].name, &gone);
        expect(w, i, rc == KVMPOOL_ERR_NOT_FOUND, "deleted volume is gone");
        kvmpool_vol_free(gone);
        w->own[k] = w->own[--w->n_own];
    }
    kvmpool_vol_free(vol);
    return good;
}

/* Its own volumes, as the pool lists them while the others work. */
static int op_list(struct worker *w, int i)
{
    kvmpool_vols *vols = NULL;
    char prefix[16], buf[256];
    int mine = 0, good = ok(w, i, "vol_list", kvmpool_vol_list(w->sh->pool, &vols));
    snprintf(prefix, sizeof prefix, "c%d-", w->id);
    for (size_t j = 0; good && j < kvmpool_vols_len(vols); j++) {
        const kvmpool_vol *vol = kvmpool_vols_get(vols, j);
        char *s = NULL;
        if (!ok(w, i, "vol_name", kvmpool_vol_name(vol, &s)))
            break;
        const char *name = kt_take(s, buf, sizeof buf);
        if (strncmp(name, prefix, strlen(prefix)) != 0)
            continue;
        mine++;
        int found = 0;
        for (int k = 0; k < w->n_own; k++)
            if (strcmp(w->own[k].name, name) == 0)
                found = capacity_of(w, i, vol) == w->own[k].capacity;
        expect(w, i, found, "a listed volume of this thread is in its model, same capacity");
    }
    expect(w, i, !good || mine == w->n_own, "the listing shows every volume of the model");
    kvmpool_vols_free(vols);
    w->done[OP_LIST] += good;
    return good;
}

/* A create that libvirt refuses part-way (qcow2 over a missing backing file), as an
 * operator's mistake would be: it must fail, leave nothing, and touch nothing else,
 * other threads' newly created volumes included. */
static int op_bad_create(struct worker *w, int i)
{
    char name[64], backing[128], msg[1024];
    kvmpool_vol_spec *spec = NULL;
    kvmpool_vol *vol = NULL, *left = NULL;
    new_name(w, 1, name, sizeof name);
    snprintf(backing, sizeof backing, "/nonexistent-kvmpool-load/%s", name);
    if (!ok(w, i, "vol_spec_new", kvmpool_vol_spec_new(name, MiB, &spec)))
        return 0;
    int good = ok(w, i, "vol_spec_set_format", kvmpool_vol_spec_set_format(spec, "qcow2")) &&
               ok(w, i, "vol_spec_set_backing_store",
                  kvmpool_vol_spec_set_backing_store(spec, backing, "qcow2"));
    if (good) {
        kvmpool_status rc = kvmpool_vol_create(w->sh->pool, spec, &vol);
        kt_last_error(msg, sizeof msg);
        if (rc == KVMPOOL_ERR_BUSY) {
            good = ok(w, i, "vol_create (over a missing backing file)", rc);
        } else {
            expect(w, i, rc != KVMPOOL_OK, "a create over a missing backing file fails");
            if (strstr(msg, "removed the partly created volume") != NULL) {
                fprintf(stderr, "thread %d op #%d: the failed create of %s said: %s\n", w->id, i,
                        name, msg);
                expect(w, i, 0, "a failed create removes no volume that other calls created");
            }
            rc = kvmpool_vol_lookup(w->sh->pool, name, &left);
            expect(w, i, rc == KVMPOOL_ERR_NOT_FOUND, "the failed create left nothing behind");
            w->done[OP_BAD_CREATE]++;
        }
    }
    kvmpool_vol_free(left);
    kvmpool_vol_free(vol);
    kvmpool_vol_spec_free(spec);
    return good;
}

static int op_refresh(struct worker *w, int i)
{
    /* Refused by libvirt while another thread's volume is being built: kvmpool retries. */
    int good = ok(w, i, "pool_refresh", kvmpool_pool_refresh(w->sh->pool));
    w->done[OP_REFRESH] += good;
    return good;
}

static int (*const op_fns[N_OPS])(struct worker *, int) = {
    op_create, op_clone, op_resize, op_upload, op_delete, op_list, op_refresh, op_bad_create};

static void *work(void *arg)
{
    struct worker *w = arg;
    const int *weights = w->sh->live ? live_weights : test_weights;
    int total = 0;
    for (int o = 0; o < N_OPS; o++)
        total += weights[o];
    pthread_barrier_wait(&w->sh->barrier);
    for (int i = 0; i < w->sh->ops && w->errors < MAX_ERRORS; i++) {
        int r = rand_below(w, total), op = 0;
        while (r >= weights[op])
            r -= weights[op++];
        if (w->n_own >= MAX_OWN && (op == OP_CREATE || op == OP_CLONE))
            op = OP_DELETE;
        op_fns[op](w, i);
    }
    return NULL;
}

/* The pool's volumes against the union of the models. */
static void check_pool(struct shared *sh, struct worker *ws, const char *how)
{
    kvmpool_vols *vols = NULL;
    int expected = 0;
    for (int t = 0; t < THREADS; t++)
        expected += ws[t].n_own;
    CHECK_OK(kvmpool_vol_list(sh->pool, &vols));
    size_t n = kvmpool_vols_len(vols);
    if ((size_t)expected != n) {
        kt_failed++;
        fprintf(stderr, "FAILED: %s: the pool has %zu volumes, the models %d (seed %" PRIu64 ")\n",
                how, n, expected, sh->seed);
    }
    for (size_t j = 0; j < n; j++) {
        char *s = NULL, buf[256];
        kvmpool_vol_details d;
        memset(&d, 0, sizeof d);
        CHECK_OK(kvmpool_vol_name(kvmpool_vols_get(vols, j), &s));
        const char *name = kt_take(s, buf, sizeof buf);
        CHECK_OK(kvmpool_vol_info(kvmpool_vols_get(vols, j), &d));
        int found = 0;
        for (int t = 0; t < THREADS; t++)
            for (int k = 0; k < ws[t].n_own; k++)
                if (strcmp(ws[t].own[k].name, name) == 0) {
                    found = 1;
                    kt_checks++;
                    if (d.capacity != ws[t].own[k].capacity) {
                        kt_failed++;
                        fprintf(stderr, "FAILED: %s: %s has %" PRIu64 " bytes, should have %" PRIu64 "\n",
                                how, name, d.capacity, ws[t].own[k].capacity);
                    }
                }
        kt_checks++;
        if (!found) {
            kt_failed++;
            fprintf(stderr, "FAILED: %s: %s is in the pool but in no model\n", how, name);
        }
    }
    kvmpool_vols_free(vols);
}

/* Live: the files in the target directory are the models' volumes. */
static void check_files(struct worker *ws, const char *target)
{
    DIR *d = opendir(target);
    struct dirent *e;
    int files = 0, expected = 0;
    CHECK(d != NULL);
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        files++;
        int found = 0;
        for (int t = 0; t < THREADS; t++)
            for (int k = 0; k < ws[t].n_own; k++)
                found |= strcmp(ws[t].own[k].name, e->d_name) == 0;
        kt_checks++;
        if (!found) {
            kt_failed++;
            fprintf(stderr, "FAILED: file %s/%s is in no model\n", target, e->d_name);
        }
    }
    if (d != NULL)
        closedir(d);
    for (int t = 0; t < THREADS; t++)
        expected += ws[t].n_own;
    CHECK(files == expected);
}

static void run(const char *uri, int live, const char *dir, int ops, uint64_t seed)
{
    struct shared sh;
    static struct worker ws[THREADS];
    char name[80], target[1200];
    memset(&sh, 0, sizeof sh);
    memset(ws, 0, sizeof ws);
    sh.live = live;
    sh.ops = ops;
    sh.seed = seed;
    snprintf(name, sizeof name, "kvmpool-c-load-%ld", (long)getpid());
    if (live)
        snprintf(target, sizeof target, "%s/pool", dir);
    else
        snprintf(target, sizeof target, "/kvmpool-c-load-%ld", (long)getpid());

    REQUIRE_OK(kvmpool_connect(uri, &sh.conn));
    kvmpool_pool_spec *spec = NULL;
    REQUIRE_OK(kvmpool_pool_spec_dir(name, target, &spec));
    REQUIRE_OK(kvmpool_pool_define(sh.conn, spec, &sh.pool));
    REQUIRE_OK(kvmpool_pool_build(sh.pool, KVMPOOL_BUILD_NORMAL));
    REQUIRE_OK(kvmpool_pool_start(sh.pool));
    pthread_barrier_init(&sh.barrier, NULL, THREADS);

    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        ws[t].sh = &sh;
        ws[t].id = t;
        ws[t].rng = seed * 1000003u + (uint64_t)t * 0x9E3779B97F4A7C15ull + 1;
        if (live) {
            snprintf(ws[t].local, sizeof ws[t].local, "%s/upload-%d.bin", dir, t);
            snprintf(ws[t].back, sizeof ws[t].back, "%s/download-%d.bin", dir, t);
        }
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&threads[t], NULL, work, &ws[t]) == 0);
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_join(threads[t], NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_barrier_destroy(&sh.barrier);

    int busy = 0, done[N_OPS] = {0};
    for (int t = 0; t < THREADS; t++) {
        busy += ws[t].busy;
        for (int o = 0; o < N_OPS; o++)
            done[o] += ws[t].done[o];
    }
    CHECK(busy == 0);
    printf("%s: %d threads x %d ops (seed %" PRIu64 ") in %.1f s:", uri, THREADS, ops, seed,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    for (int o = 0; o < N_OPS; o++)
        printf(" %s %d", op_names[o], done[o]);
    printf("\n");

    check_pool(&sh, ws, "as listed");
    if (live) {
        CHECK_OK(kvmpool_pool_refresh(sh.pool));
        check_pool(&sh, ws, "after a refresh");
        check_files(ws, target);
    }

    /* Clean up: every volume, then the pool. */
    kvmpool_vols *vols = NULL;
    CHECK_OK(kvmpool_vol_list(sh.pool, &vols));
    for (size_t j = 0; j < kvmpool_vols_len(vols); j++)
        CHECK_OK(kvmpool_vol_delete(kvmpool_vols_get(vols, j), KVMPOOL_DELETE_NORMAL));
    kvmpool_vols_free(vols);
    CHECK_OK(kvmpool_pool_destroy(sh.pool));
    CHECK_OK(kvmpool_pool_delete(sh.pool, KVMPOOL_DELETE_NORMAL));
    CHECK_OK(kvmpool_pool_undefine(sh.pool));
    kvmpool_pool_free(sh.pool);
    kvmpool_pool_spec_free(spec);
    kvmpool_conn_free(sh.conn);
}

static long env_long(const char *name, long fallback)
{
    const char *s = getenv(name);
    char *end = NULL;
    long v = s && *s ? strtol(s, &end, 10) : fallback;
    if (s && *s && (*end != '\0' || v < 0)) {
        fprintf(stderr, "FATAL: %s=%s is not a number\n", name, s);
        exit(2);
    }
    return v;
}

int main(void)
{
    int ops = (int)env_long("KVMPOOL_LOAD_OPS", 200);
    uint64_t seed = (uint64_t)env_long("KVMPOOL_LOAD_SEED", 20261130);
    run("test:///default", 0, NULL, ops, seed);
    const char *uri = kt_live_uri("4 threads x mixed operations on one pool of a real daemon");
    if (uri != NULL) {
        char dir[1024];
        kt_scratch(dir, sizeof dir, "load");
        run(uri, 1, dir, ops, seed);
        kt_rmtree(dir);
    }
    return kt_finish("test_load");
}
