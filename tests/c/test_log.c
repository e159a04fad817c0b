/*
 * kvmpool_set_log(): the changes made to a host at KVMPOOL_LOG_INFO, the libvirt calls
 * with their outcome and time at KVMPOOL_LOG_DEBUG, nothing when off, and a bad level
 * refused. On test:///default.
 */
#include "kvmpool_test.h"

#include <pthread.h>

/* What the callback received: messages with their level, one per line. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char received[65536];
static int calls;

static void collect(uint32_t level, const char *message, void *userdata)
{
    CHECK(userdata == (void *)received);
    CHECK(level >= KVMPOOL_LOG_ERROR && level <= KVMPOOL_LOG_DEBUG);
    pthread_mutex_lock(&lock);
    calls++;
    size_t used = strlen(received);
    snprintf(received + used, sizeof received - used, "%u %s\n", level, message);
    pthread_mutex_unlock(&lock);
}

static void clear(void)
{
    pthread_mutex_lock(&lock);
    received[0] = '\0';
    calls = 0;
    pthread_mutex_unlock(&lock);
}

#define CHECK_LOGGED(line)                                                                 \
    do {                                                                                   \
        CHECK(strstr(received, line) != NULL);                                             \
        if (strstr(received, line) == NULL)                                                \
            fprintf(stderr, "  wanted \"%s\" in:\n%s", line, received);                    \
    } while (0)

int main(void)
{
    kvmpool_conn *conn = NULL;
    kvmpool_pool_spec *spec = NULL;
    kvmpool_pool *pool = NULL;
    kvmpool_vol_spec *vspec = NULL;
    kvmpool_vol *vol = NULL;
    kvmpool_pool_details info;

    /* nothing is logged before kvmpool_set_log() */
    REQUIRE_OK(kvmpool_connect("test:///default", &conn));
    CHECK_STATUS(kvmpool_set_log(KVMPOOL_LOG_DEBUG + 1, collect, received),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "max_level");

    /* changes at INFO */
    REQUIRE_OK(kvmpool_set_log(KVMPOOL_LOG_INFO, collect, received));
    REQUIRE_OK(kvmpool_pool_spec_dir("c-logged", "/c-logged", &spec));
    REQUIRE_OK(kvmpool_pool_define(conn, spec, &pool));
    REQUIRE_OK(kvmpool_pool_start(pool));
    REQUIRE_OK(kvmpool_vol_spec_new("a.raw", 1u << 20, &vspec));
    REQUIRE_OK(kvmpool_vol_create(pool, vspec, &vol));
    CHECK_OK(kvmpool_pool_info(pool, &info));
    CHECK_LOGGED("3 pool c-logged: defined\n");
    CHECK_LOGGED("3 pool c-logged: started\n");
    CHECK_LOGGED("3 volume c-logged/a.raw: created\n");
    CHECK(strstr(received, "virStoragePoolGetInfo") == NULL);

    /* libvirt calls at DEBUG */
    clear();
    REQUIRE_OK(kvmpool_set_log(KVMPOOL_LOG_DEBUG, collect, received));
    CHECK_OK(kvmpool_pool_info(pool, &info));
    CHECK_LOGGED("4 virStoragePoolGetInfo: ok in ");
    CHECK_OK(kvmpool_vol_delete(vol, KVMPOOL_DELETE_NORMAL));
    CHECK_LOGGED("4 virStorageVolDelete: ok in ");
    CHECK_LOGGED("3 volume c-logged/a.raw: deleted\n");

    /* off: a NULL callback, then KVMPOOL_LOG_OFF with a callback */
    REQUIRE_OK(kvmpool_set_log(KVMPOOL_LOG_DEBUG, NULL, NULL));
    clear();
    CHECK_OK(kvmpool_pool_destroy(pool));
    REQUIRE_OK(kvmpool_set_log(KVMPOOL_LOG_OFF, collect, received));
    CHECK_OK(kvmpool_pool_undefine(pool));
    CHECK(calls == 0);
    CHECK_STREQ(received, "");

    kvmpool_vol_free(vol);
    kvmpool_vol_spec_free(vspec);
    kvmpool_pool_free(pool);
    kvmpool_pool_spec_free(spec);
    kvmpool_conn_free(conn);
    return kt_finish("test_log");
}
