/*
 * Two threads using one connection (and one shared pool handle) at the same time:
 * each defines, starts, fills, lists and removes pools of its own and volumes in the
 * shared pool, while the other does the same. Also: each thread's last error is its
 * own. On test:///default, and on the live daemon (with uploads and downloads in
 * both threads) when KVMPOOL_TEST_URI is set.
 */
#include "kvmpool_test.h"

#include <pthread.h>

#define MiB (1024ull * 1024ull)

struct shared {
    kvmpool_conn *conn;
    kvmpool_pool *pool; /* used by both threads at once */
    const char *pool_name;
    int live;
    int iterations;
    char dir[1024];
    pthread_barrier_t barrier;
};

struct worker {
    struct shared *sh;
    int id;
};

static void one_round(struct worker *w, int round)
{
    struct shared *sh = w->sh;
    char name[128], target[1200], volname[64], buf[256];
    kvmpool_pool_spec *spec = NULL;
    kvmpool_pool *pool = NULL;
    kvmpool_vol_spec *vspec = NULL;
    kvmpool_vol *own = NULL, *in_shared = NULL;

    snprintf(name, sizeof name, "kvmpool-c-thr%d-%d-%ld", w->id, round, (long)getpid());
    if (sh->live)
        snprintf(target, sizeof target, "%s/t%d-%d", sh->dir, w->id, round);
    else
        snprintf(target, sizeof target, "/kvmpool-c-thr%d-%d", w->id, round);
    REQUIRE_OK(kvmpool_pool_spec_dir(name, target, &spec));
    CHECK_OK(kvmpool_pool_define(sh->conn, spec, &pool));
    CHECK_OK(kvmpool_pool_build(pool, KVMPOOL_BUILD_NORMAL));
    CHECK_OK(kvmpool_pool_start(pool));
    kvmpool_pool_details info;
    CHECK_OK(kvmpool_pool_info(pool, &info));
    CHECK(info.state == KVMPOOL_POOL_RUNNING);

    snprintf(volname, sizeof volname, "t%d-%d.img", w->id, round);
    REQUIRE_OK(kvmpool_vol_spec_new(volname, 1 * MiB, &vspec));
    CHECK_OK(kvmpool_vol_spec_set_format(vspec, "raw"));
    CHECK_OK(kvmpool_vol_create(pool, vspec, &own));
    CHECK_OK(kvmpool_vol_create(sh->pool, vspec, &in_shared));

    if (sh->live && own != NULL && in_shared != NULL) {
        char src[1300], dst[1300];
        snprintf(src, sizeof src, "%s/src-%d-%d", sh->dir, w->id, round);
        snprintf(dst, sizeof dst, "%s/dst-%d-%d", sh->dir, w->id, round);
        CHECK(kt_write_at(src, 0, 1 * MiB, (uint64_t)(w->id * 1000 + round)) == 0);
        CHECK_OK(kvmpool_vol_upload_file(in_shared, src, 0, 0, false, NULL, NULL));
        CHECK_OK(kvmpool_vol_download_file(in_shared, dst, 0, 0, false, NULL, NULL));
        CHECK(kt_same_file(src, dst));
        unlink(src);
        unlink(dst);
    }

    /* The shared pool, looked at by both threads. */
    kvmpool_vols *vols = NULL;
    CHECK_OK(kvmpool_vol_list(sh->pool, &vols));
    CHECK(kvmpool_vols_len(vols) >= 1);
    kvmpool_vols_free(vols);
    kvmpool_pool *again = NULL;
    CHECK_OK(kvmpool_pool_lookup(sh->conn, sh->pool_name, &again));
    kvmpool_pool_free(again);
    kvmpool_vol *found = NULL;
    CHECK_OK(kvmpool_vol_lookup(sh->pool, volname, &found));
    char *s = NULL;
    CHECK_OK(kvmpool_vol_name(found, &s));
    CHECK_STREQ(kt_take(s, buf, sizeof buf), volname);
    kvmpool_vol_free(found);

    CHECK_OK(kvmpool_vol_delete(in_shared, KVMPOOL_DELETE_NORMAL));
    CHECK_OK(kvmpool_vol_delete(own, KVMPOOL_DELETE_NORMAL));
    CHECK_OK(kvmpool_pool_destroy(pool));
    CHECK_OK(kvmpool_pool_delete(pool, KVMPOOL_DELETE_NORMAL));
    CHECK_OK(kvmpool_pool_undefine(pool));
    kvmpool_vol_free(own);
    kvmpool_vol_free(in_shared);
    kvmpool_vol_spec_free(vspec);
    kvmpool_pool_free(pool);
    kvmpool_pool_spec_free(spec);
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    char missing[64], want[80];

    /* Each thread's last error is its own: both fail, then both look. */
    snprintf(missing, sizeof missing, "kvmpool-c-missing-%d", w->id);
    CHECK_STATUS(kvmpool_pool_lookup(sh->conn, missing, &(kvmpool_pool *){NULL}),
                 KVMPOOL_ERR_NOT_FOUND);
    pthread_barrier_wait(&sh->barrier);
    snprintf(want, sizeof want, "'%s'", missing);
    CHECK(strstr(kvmpool_last_error_message(), want) != NULL);
    pthread_barrier_wait(&sh->barrier);

    for (int round = 0; round < sh->iterations; round++)
        one_round(w, round);

    /* A success on this thread clears only this thread's error. */
    CHECK_STATUS(kvmpool_pool_lookup(sh->conn, missing, &(kvmpool_pool *){NULL}),
                 KVMPOOL_ERR_NOT_FOUND);
    pthread_barrier_wait(&sh->barrier);
    if (w->id == 0) {
        uint64_t bytes;
        CHECK_OK(kvmpool_size_parse("1M", &bytes));
        CHECK_STREQ(kvmpool_last_error_message(), "");
    }
    pthread_barrier_wait(&sh->barrier);
    if (w->id == 1)
        CHECK(strstr(kvmpool_last_error_message(), want) != NULL);
    return NULL;
}

static void run(const char *uri, int live, const char *dir)
{
    struct shared sh;
    memset(&sh, 0, sizeof sh);
    sh.live = live;
    sh.iterations = live ? 5 : 25;
    if (dir)
        snprintf(sh.dir, sizeof sh.dir, "%s", dir);
    char name[80], target[1200];
    snprintf(name, sizeof name, "kvmpool-c-shared-%ld", (long)getpid());
    if (live)
        snprintf(target, sizeof target, "%s/shared", dir);
    else
        snprintf(target, sizeof target, "/kvmpool-c-shared");
    sh.pool_name = name;

    REQUIRE_OK(kvmpool_connect(uri, &sh.conn));
    kvmpool_pool_spec *spec = NULL;
    REQUIRE_OK(kvmpool_pool_spec_dir(name, target, &spec));
    REQUIRE_OK(kvmpool_pool_define(sh.conn, spec, &sh.pool));
    REQUIRE_OK(kvmpool_pool_build(sh.pool, KVMPOOL_BUILD_NORMAL));
    REQUIRE_OK(kvmpool_pool_start(sh.pool));
    pthread_barrier_init(&sh.barrier, NULL, 2);

    pthread_t threads[2];
    struct worker workers[2] = {{&sh, 0}, {&sh, 1}};
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    for (int i = 0; i < 2; i++)
        CHECK(pthread_join(threads[i], NULL) == 0);
    pthread_barrier_destroy(&sh.barrier);

    kvmpool_vols *vols = NULL;
    CHECK_OK(kvmpool_vol_list(sh.pool, &vols));
    CHECK(kvmpool_vols_len(vols) == 0);
    kvmpool_vols_free(vols);
    CHECK_OK(kvmpool_pool_destroy(sh.pool));
    CHECK_OK(kvmpool_pool_delete(sh.pool, KVMPOOL_DELETE_NORMAL));
    CHECK_OK(kvmpool_pool_undefine(sh.pool));
    kvmpool_pool_free(sh.pool);
    kvmpool_pool_spec_free(spec);
    kvmpool_conn_free(sh.conn);
    printf("%s: 2 threads x %d rounds on one connection\n", uri, sh.iterations);
}

int main(void)
{
    run("test:///default", 0, NULL);
    const char *uri = kt_live_uri("two threads on one connection to a real daemon");
    if (uri != NULL) {
        char dir[1024];
        kt_scratch(dir, sizeof dir, "threads");
        run(uri, 1, dir);
        kt_rmtree(dir);
    }
    return kt_finish("test_threads");
}
