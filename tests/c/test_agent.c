/*
 * examples/c/agent.c, compiled with the tests' flags and run: on test:///default and,
 * when KVMPOOL_TEST_URI is set, on the live daemon. The agent must leave a running,
 * autostarted pool with the volume, and a second run must change nothing.
 */
#include "kvmpool_test.h"

#define main kvmpool_agent_main
#include "../../examples/c/agent.c"
#undef main

static int run_agent(const char *uri, const char *pool, const char *target, const char *vol,
                     const char *size, const char *format)
{
    char *argv[] = {(char *)"agent", (char *)uri,  (char *)pool,   (char *)target,
                    (char *)vol,     (char *)size, (char *)format, NULL};
    printf("$ agent %s %s %s %s %s %s\n", uri, pool, target, vol, size, format);
    fflush(stdout);
    int rc = kvmpool_agent_main(7, argv);
    fflush(stdout);
    return rc;
}

/* What the agent left: a running, autostarted pool holding exactly `vol`. */
static void check_result(kvmpool_conn *conn, const char *pool_name, const char *vol_name,
                         uint64_t capacity)
{
    kvmpool_pool *pool = NULL;
    kvmpool_vol *vol = NULL;
    REQUIRE_OK(kvmpool_pool_lookup(conn, pool_name, &pool));
    kvmpool_pool_details info;
    bool autostart = false;
    CHECK_OK(kvmpool_pool_info(pool, &info));
    CHECK(info.state == KVMPOOL_POOL_RUNNING);
    CHECK_OK(kvmpool_pool_autostart(pool, &autostart));
    CHECK(autostart);
    CHECK_OK(kvmpool_vol_lookup(pool, vol_name, &vol));
    kvmpool_vol_details vinfo = {KVMPOOL_VOL_FILE, 0, 0};
    CHECK_OK(kvmpool_vol_info(vol, &vinfo));
    CHECK(vinfo.capacity == capacity);
    kvmpool_strings *names = NULL;
    CHECK_OK(kvmpool_vol_list_names(pool, &names));
    CHECK(kvmpool_strings_len(names) == 1);
    CHECK_STREQ(kvmpool_strings_get(names, 0), vol_name);
    kvmpool_strings_free(names);
    kvmpool_vol_free(vol);
    kvmpool_pool_free(pool);
}

static void clean_up(kvmpool_conn *conn, const char *pool_name)
{
    kvmpool_pool *pool = NULL;
    if (kvmpool_pool_lookup(conn, pool_name, &pool) != KVMPOOL_OK)
        return;
    kvmpool_vols *vols = NULL;
    if (kvmpool_vol_list(pool, &vols) == KVMPOOL_OK) {
        for (size_t i = 0; i < kvmpool_vols_len(vols); i++)
            CHECK_OK(kvmpool_vol_delete(kvmpool_vols_get(vols, i), KVMPOOL_DELETE_NORMAL));
        kvmpool_vols_free(vols);
    }
    CHECK_OK(kvmpool_pool_set_autostart(pool, false));
    CHECK_OK(kvmpool_pool_destroy(pool));
    CHECK_OK(kvmpool_pool_delete(pool, KVMPOOL_DELETE_NORMAL));
    CHECK_OK(kvmpool_pool_undefine(pool));
    kvmpool_pool_free(pool);
}

int main(void)
{
    char pool_name[64];
    snprintf(pool_name, sizeof pool_name, "kvmpool-c-agent-%ld", (long)getpid());

    /* test:///default: this connection keeps the driver's state alive between the
     * agent's runs (each run opens and closes its own). */
    kvmpool_conn *conn = NULL;
    REQUIRE_OK(kvmpool_connect("test:///default", &conn));
    CHECK(run_agent("test:///default", pool_name, "/kvmpool-c-agent", "-", "1G", "-") == 0);
    check_result(conn, pool_name, "vm1.qcow2", 1ull << 30);
    CHECK(run_agent("test:///default", pool_name, "/kvmpool-c-agent", "-", "1G", "-") == 0);
    check_result(conn, pool_name, "vm1.qcow2", 1ull << 30);
    clean_up(conn, pool_name);
    kvmpool_conn_free(conn);

    /* Failures are reported, not crashed on. */
    CHECK(run_agent("kvmpool-bogus:///", pool_name, "-", "-", "-", "-") == 1);
    CHECK(run_agent("test:///default", pool_name, "relative", "-", "-", "-") == 1);
    CHECK(run_agent("test:///default", pool_name, "/kvmpool-c-agent", "-", "lots", "-") == 1);

    const char *uri = kt_live_uri("the agent on a real daemon");
    if (uri != NULL) {
        char dir[1024], target[1200];
        kt_scratch(dir, sizeof dir, "agent");
        snprintf(target, sizeof target, "%s/pool", dir);
        REQUIRE_OK(kvmpool_connect(uri, &conn));
        CHECK(run_agent(uri, pool_name, target, "disk1.raw", "64M", "raw") == 0);
        check_result(conn, pool_name, "disk1.raw", 64ull << 20);
        CHECK(run_agent(uri, pool_name, target, "disk1.raw", "64M", "raw") == 0);
        check_result(conn, pool_name, "disk1.raw", 64ull << 20);
        clean_up(conn, pool_name);
        kvmpool_conn_free(conn);
        kt_rmtree(dir);
    }
    return kt_finish("test_agent");
}
