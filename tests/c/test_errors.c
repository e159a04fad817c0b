/*
 * Every kvmpool_status from a real failure, the thread's last error, and NULL and
 * invalid UTF-8 arguments for every function that takes a pointer. Runs on
 * test:///default (and, for the connect error, a socket that does not exist); the
 * libvirt generic error is also provoked on the live daemon when KVMPOOL_TEST_URI is
 * set.
 */
#include "kvmpool_test.h"

static const char BAD[] = "bad\xff\xfe"; /* not UTF-8 */

static kvmpool_conn *conn;
static kvmpool_pool *pool;
static kvmpool_vol *vol;
static kvmpool_pool_spec *pspec;
static kvmpool_vol_spec *vspec;
static char scratch[1024];
static char datafile[1200];

/* A failure must leave the out-parameter as it was: this is what it was. */
static int sentinel_target;
#define SENTINEL ((void *)&sentinel_target)

static int cancel_calls;
static int cancel_at_once(uint64_t done, uint64_t total, void *userdata)
{
    (void)done;
    (void)total;
    cancel_calls++;
    CHECK(userdata == (void *)&cancel_calls);
    return 1;
}

static void check_last_error(const char *what, int want_libvirt)
{
    const char *msg = kvmpool_last_error_message();
    int code = kvmpool_last_error_libvirt_code();
    CHECK(msg != NULL && msg[0] != '\0');
    if (want_libvirt)
        CHECK(code > 0);
    else
        CHECK(code == -1);
    printf("  %-28s %s (libvirt code %d)\n", what, msg, code);
}

static void statuses(void)
{
    static const struct {
        kvmpool_status status;
        unsigned number;
        const char *name;
    } all[] = {
        {KVMPOOL_OK, 0, "KVMPOOL_OK"},
        {KVMPOOL_ERR_INVALID_SPEC, 1, "KVMPOOL_ERR_INVALID_SPEC"},
        {KVMPOOL_ERR_NOT_FOUND, 2, "KVMPOOL_ERR_NOT_FOUND"},
        {KVMPOOL_ERR_ALREADY_EXISTS, 3, "KVMPOOL_ERR_ALREADY_EXISTS"},
        {KVMPOOL_ERR_STATE, 4, "KVMPOOL_ERR_STATE"},
        {KVMPOOL_ERR_BUSY, 5, "KVMPOOL_ERR_BUSY"},
        {KVMPOOL_ERR_UNSUPPORTED, 6, "KVMPOOL_ERR_UNSUPPORTED"},
        {KVMPOOL_ERR_CONNECT, 7, "KVMPOOL_ERR_CONNECT"},
        {KVMPOOL_ERR_CANCELLED, 8, "KVMPOOL_ERR_CANCELLED"},
        {KVMPOOL_ERR_IO, 9, "KVMPOOL_ERR_IO"},
        {KVMPOOL_ERR_LIBVIRT, 10, "KVMPOOL_ERR_LIBVIRT"},
        {KVMPOOL_ERR_NULL, 100, "KVMPOOL_ERR_NULL"},
        {KVMPOOL_ERR_UTF8, 101, "KVMPOOL_ERR_UTF8"},
        {KVMPOOL_ERR_PANIC, 102, "KVMPOOL_ERR_PANIC"},
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        CHECK((unsigned)all[i].status == all[i].number);
        CHECK_STREQ(kvmpool_status_name(all[i].status), all[i].name);
    }
    CHECK_STREQ(kvmpool_status_name(11), "KVMPOOL_UNKNOWN_STATUS");
    CHECK_STREQ(kvmpool_status_name(0xffffffffu), "KVMPOOL_UNKNOWN_STATUS");
    CHECK_STREQ(kvmpool_version(), KVMPOOL_VERSION);
    char v[64];
    snprintf(v, sizeof v, "%d.%d.%d", KVMPOOL_VERSION_MAJOR, KVMPOOL_VERSION_MINOR,
             KVMPOOL_VERSION_PATCH);
    CHECK_STREQ(v, KVMPOOL_VERSION);
}

/* One real failure per status the C API can return. */
static void real_failures(void)
{
    printf("real failures:\n");
    kvmpool_pool *p = SENTINEL;
    kvmpool_vol *v = SENTINEL;
    kvmpool_conn *c = SENTINEL;

    /* INVALID_SPEC: a relative target path, refused by the constructor at once; the
     * same target in XML (which libvirt's parser takes) refused before libvirt sees it. */
    kvmpool_pool_spec *rel = SENTINEL;
    CHECK_STATUS(kvmpool_pool_spec_dir("kvmpool-c-rel", "relative/dir", &rel),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK(rel == SENTINEL);
    CHECK_STREQ(kvmpool_last_error_field(), "target");
    rel = NULL;
    REQUIRE_OK(kvmpool_pool_spec_from_xml("<pool type='dir'><name>kvmpool-c-rel</name>"
                                          "<target><path>relative/dir</path></target></pool>",
                                          &rel));
    CHECK_STATUS(kvmpool_pool_define(conn, rel, &p), KVMPOOL_ERR_INVALID_SPEC);
    CHECK(p == SENTINEL);
    CHECK_STREQ(kvmpool_last_error_field(), "target");
    check_last_error("KVMPOOL_ERR_INVALID_SPEC", 0);
    CHECK_STATUS(kvmpool_pool_spec_validate(rel), KVMPOOL_ERR_INVALID_SPEC);
    kvmpool_pool_spec_free(rel);
    uint64_t bytes = 7;
    CHECK_STATUS(kvmpool_size_parse("ten gigs", &bytes), KVMPOOL_ERR_INVALID_SPEC);
    CHECK(bytes == 7);
    kvmpool_pool_spec *unparsed = SENTINEL;
    CHECK_STATUS(kvmpool_pool_spec_from_xml("<pool type='dir'><name>x</name>", &unparsed),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK(unparsed == SENTINEL);
    CHECK_STATUS(kvmpool_pool_build(pool, 99), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "mode");

    /* NOT_FOUND: libvirt's VIR_ERR_NO_STORAGE_POOL (49), VIR_ERR_NO_STORAGE_VOL (50). */
    CHECK_STATUS(kvmpool_pool_lookup(conn, "kvmpool-c-no-such-pool", &p), KVMPOOL_ERR_NOT_FOUND);
    CHECK(p == SENTINEL);
    CHECK(kvmpool_last_error_libvirt_code() == 49);
    check_last_error("KVMPOOL_ERR_NOT_FOUND", 1);
    CHECK_STATUS(kvmpool_vol_lookup(pool, "no-such-vol", &v), KVMPOOL_ERR_NOT_FOUND);
    CHECK(kvmpool_last_error_libvirt_code() == 50);
    CHECK_STATUS(kvmpool_pool_lookup_by_uuid(conn, "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f", &p),
                 KVMPOOL_ERR_NOT_FOUND);

    /* ALREADY_EXISTS: the same pool twice, the same volume twice. */
    CHECK_STATUS(kvmpool_pool_define(conn, pspec, &p), KVMPOOL_ERR_ALREADY_EXISTS);
    CHECK(p == SENTINEL);
    check_last_error("KVMPOOL_ERR_ALREADY_EXISTS", 0);
    CHECK_STATUS(kvmpool_vol_create(pool, vspec, &v), KVMPOOL_ERR_ALREADY_EXISTS);
    CHECK(v == SENTINEL);

    /* STATE: destroying a pool that is not running (VIR_ERR_OPERATION_INVALID, 55). */
    kvmpool_pool_spec *idle_spec = NULL;
    kvmpool_pool *idle = NULL;
    REQUIRE_OK(kvmpool_pool_spec_dir("kvmpool-c-idle", "/kvmpool-c-idle", &idle_spec));
    REQUIRE_OK(kvmpool_pool_define(conn, idle_spec, &idle));
    CHECK_STATUS(kvmpool_pool_destroy(idle), KVMPOOL_ERR_STATE);
    CHECK(kvmpool_last_error_libvirt_code() == 55);
    check_last_error("KVMPOOL_ERR_STATE", 1);
    kvmpool_vols *vols = SENTINEL;
    CHECK_STATUS(kvmpool_vol_list(idle, &vols), KVMPOOL_ERR_STATE);
    CHECK(vols == SENTINEL);
    CHECK_OK(kvmpool_pool_undefine(idle));
    kvmpool_pool_free(idle);
    kvmpool_pool_spec_free(idle_spec);

    /* UNSUPPORTED: test:///default has no upload, download, wipe or resize
     * (VIR_ERR_NO_SUPPORT, 3). */
    CHECK_STATUS(kvmpool_vol_upload_file(vol, datafile, 0, 0, false, NULL, NULL),
                 KVMPOOL_ERR_UNSUPPORTED);
    CHECK(kvmpool_last_error_libvirt_code() == 3);
    check_last_error("KVMPOOL_ERR_UNSUPPORTED", 1);
    char out[1300];
    snprintf(out, sizeof out, "%s/download.img", scratch);
    CHECK_STATUS(kvmpool_vol_download_file(vol, out, 0, 0, false, NULL, NULL),
                 KVMPOOL_ERR_UNSUPPORTED);
    CHECK(!kt_exists(out));
    CHECK_STATUS(kvmpool_vol_wipe(vol, NULL), KVMPOOL_ERR_UNSUPPORTED);
    CHECK_STATUS(kvmpool_vol_resize(vol, 2ull << 20, 0), KVMPOOL_ERR_UNSUPPORTED);
    CHECK_STATUS(kvmpool_pool_xml_inactive(pool, &(char *){NULL}), KVMPOOL_ERR_UNSUPPORTED);

    /* UNSUPPORTED: a direct transfer needs the daemon on this machine; the test
     * driver runs in this process and has no files. INVALID_SPEC: both methods at
     * once, or a bit that is no KVMPOOL_TRANSFER_* flag. */
    CHECK_STATUS(kvmpool_vol_upload_file(vol, datafile, 0, 0, KVMPOOL_TRANSFER_DIRECT, NULL,
                                         NULL),
                 KVMPOOL_ERR_UNSUPPORTED);
    CHECK(strstr(kvmpool_last_error_message(), "not on this machine") != NULL);
    CHECK_STATUS(kvmpool_vol_download_file(vol, out, 0, 0,
                                           KVMPOOL_TRANSFER_STREAM | KVMPOOL_TRANSFER_DIRECT,
                                           NULL, NULL),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK(strcmp(kvmpool_last_error_field(), "flags") == 0);
    CHECK_STATUS(kvmpool_vol_upload_file(vol, datafile, 0, 0, 1u << 9, NULL, NULL),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK(strcmp(kvmpool_last_error_field(), "flags") == 0);
    CHECK(!kt_exists(out));

    /* CANCELLED: the progress callback says stop at its first call. */
    cancel_calls = 0;
    CHECK_STATUS(kvmpool_vol_upload_file(vol, datafile, 0, 0, false, cancel_at_once,
                                         &cancel_calls),
                 KVMPOOL_ERR_CANCELLED);
    CHECK(cancel_calls == 1);
    check_last_error("KVMPOOL_ERR_CANCELLED", 0);
    cancel_calls = 0;
    CHECK_STATUS(kvmpool_vol_download_file(vol, out, 0, 0, true, cancel_at_once, &cancel_calls),
                 KVMPOOL_ERR_CANCELLED);
    CHECK(cancel_calls == 1);
    CHECK(!kt_exists(out));

    /* CONNECT: a URI scheme libvirt does not know, and a socket that is not there. */
    CHECK_STATUS(kvmpool_connect("kvmpool-bogus:///nowhere", &c), KVMPOOL_ERR_CONNECT);
    CHECK(c == SENTINEL);
    check_last_error("KVMPOOL_ERR_CONNECT", 1);
    char uri[1300];
    snprintf(uri, sizeof uri, "storage:///system?socket=%s/no-such-socket", scratch);
    CHECK_STATUS(kvmpool_connect(uri, &c), KVMPOOL_ERR_CONNECT);
    CHECK(c == SENTINEL);

    /* IO: upload from a file that does not exist. */
    char missing[1300];
    snprintf(missing, sizeof missing, "%s/no-such-file.img", scratch);
    CHECK_STATUS(kvmpool_vol_upload_file(vol, missing, 0, 0, false, NULL, NULL), KVMPOOL_ERR_IO);
    CHECK(strstr(kvmpool_last_error_message(), "no-such-file.img") != NULL);
    check_last_error("KVMPOOL_ERR_IO", 0);

    /* LIBVIRT: a volume fully allocated beyond the pool's free space; the test driver
     * reports VIR_ERR_INTERNAL_ERROR (1), which no other kind claims. */
    kvmpool_vol_spec *huge = NULL;
    REQUIRE_OK(kvmpool_vol_spec_new("huge.img", 1ull << 50, &huge));
    CHECK_OK(kvmpool_vol_spec_set_allocation(huge, 1ull << 50));
    CHECK_STATUS(kvmpool_vol_create(pool, huge, &v), KVMPOOL_ERR_LIBVIRT);
    CHECK(v == SENTINEL);
    CHECK(kvmpool_last_error_libvirt_code() == 1);
    check_last_error("KVMPOOL_ERR_LIBVIRT", 1);
    kvmpool_vol_spec_free(huge);

    /* NULL and UTF8 have their own sections below. BUSY (libvirt's "asynchronous jobs
     * running") is retried by the core for up to 60 s and cannot be provoked on
     * purpose; PANIC needs a bug. Both are covered by the Rust unit tests of the status
     * mapping and the boundary. */
    printf("NOT COVERED HERE: KVMPOOL_ERR_BUSY (no way to make libvirt report running "
           "jobs on demand), KVMPOOL_ERR_PANIC (needs an internal bug); both checked by "
           "the capi crate's Rust unit tests\n");
}

/* The libvirt generic error on a real daemon: building a dir pool whose target
 * cannot be made (VIR_ERR_SYSTEM_ERROR, 38). */
static void live_libvirt_error(void)
{
    const char *uri = kt_live_uri("libvirt generic error on a real daemon");
    if (uri == NULL)
        return;
    kvmpool_conn *live = NULL;
    kvmpool_pool_spec *spec = NULL;
    kvmpool_pool *p = NULL;
    char name[64], target[1300];
    snprintf(name, sizeof name, "kvmpool-c-err-%ld", (long)getpid());
    /* A regular file in the way of the target's parent directory. */
    snprintf(target, sizeof target, "%s/file-in-the-way", scratch);
    CHECK(kt_write_at(target, 0, 16, 1) == 0);
    snprintf(target, sizeof target, "%s/file-in-the-way/pool", scratch);
    REQUIRE_OK(kvmpool_connect(uri, &live));
    REQUIRE_OK(kvmpool_pool_spec_dir(name, target, &spec));
    REQUIRE_OK(kvmpool_pool_define(live, spec, &p));
    CHECK_STATUS(kvmpool_pool_build(p, KVMPOOL_BUILD_NORMAL), KVMPOOL_ERR_LIBVIRT);
    CHECK(kvmpool_last_error_libvirt_code() == 38);
    check_last_error("KVMPOOL_ERR_LIBVIRT (live)", 1);
    CHECK_STATUS(kvmpool_pool_start(p), KVMPOOL_ERR_LIBVIRT);
    CHECK_OK(kvmpool_pool_undefine(p));
    kvmpool_pool_free(p);
    kvmpool_pool_spec_free(spec);
    kvmpool_conn_free(live);
}

static void last_error_rules(void)
{
    CHECK_STATUS(kvmpool_pool_lookup(conn, "kvmpool-c-no-such-pool", &(kvmpool_pool *){NULL}),
                 KVMPOOL_ERR_NOT_FOUND);
    /* Functions that return no status leave the last error alone. */
    CHECK(strlen(kvmpool_status_name(KVMPOOL_OK)) > 0);
    CHECK(kvmpool_conn_is_alive(conn));
    CHECK(kvmpool_last_error_message()[0] != '\0');
    CHECK(kvmpool_last_error_libvirt_code() == 49);
    CHECK(kvmpool_last_error_field() == NULL);
    /* A successful call clears it. */
    uint64_t bytes = 0;
    CHECK_OK(kvmpool_size_parse("1.5G", &bytes));
    CHECK(bytes == 1610612736ull);
    CHECK_STREQ(kvmpool_last_error_message(), "");
    CHECK(kvmpool_last_error_libvirt_code() == -1);
    CHECK(kvmpool_last_error_field() == NULL);
}

/* NULL for every pointer argument that is required. */
static void null_arguments(void)
{
    char *s = SENTINEL;
    kvmpool_conn *c = SENTINEL;
    kvmpool_pool *p = SENTINEL;
    kvmpool_vol *v = SENTINEL;
    kvmpool_pool_spec *ps = SENTINEL;
    kvmpool_vol_spec *vs = SENTINEL;
    kvmpool_pools *plist = SENTINEL;
    kvmpool_vols *vlist = SENTINEL;
    kvmpool_strings *names = SENTINEL;
    bool b = true;
    uint64_t u = 42;
    uint32_t changes = 42;
    kvmpool_pool_details pinfo = {KVMPOOL_POOL_BUILDING, 1, 2, 3};
    kvmpool_vol_details vinfo = {KVMPOOL_VOL_PLOOP, 1, 2};

#define NUL(call) CHECK_STATUS(call, KVMPOOL_ERR_NULL)
    /* connections, strings, sizes */
    NUL(kvmpool_connect("test:///default", NULL));
    NUL(kvmpool_connect_read_only("test:///default", NULL));
    NUL(kvmpool_conn_uri(NULL, &s));
    NUL(kvmpool_conn_uri(conn, NULL));
    NUL(kvmpool_conn_reconnect(NULL));
    NUL(kvmpool_conn_inventory_json(NULL, true, &s));
    NUL(kvmpool_conn_inventory_json(conn, true, NULL));
    NUL(kvmpool_size_parse(NULL, &u));
    NUL(kvmpool_size_parse("1G", NULL));
    CHECK(!kvmpool_conn_is_alive(NULL));

    /* pool spec constructors: each required string, and the out-parameter */
    NUL(kvmpool_pool_spec_dir(NULL, "/t", &ps));
    NUL(kvmpool_pool_spec_dir("n", "/t", NULL));
    NUL(kvmpool_pool_spec_fs(NULL, "/dev/x", "/t", &ps));
    NUL(kvmpool_pool_spec_fs("n", NULL, "/t", &ps));
    NUL(kvmpool_pool_spec_fs("n", "/dev/x", "/t", NULL));
    NUL(kvmpool_pool_spec_netfs(NULL, "h", "/e", "/t", &ps));
    NUL(kvmpool_pool_spec_netfs("n", NULL, "/e", "/t", &ps));
    NUL(kvmpool_pool_spec_netfs("n", "h", NULL, "/t", &ps));
    NUL(kvmpool_pool_spec_netfs("n", "h", "/e", "/t", NULL));
    NUL(kvmpool_pool_spec_logical(NULL, "vg", &ps));
    NUL(kvmpool_pool_spec_logical("n", "vg", NULL));
    NUL(kvmpool_pool_spec_disk(NULL, "/dev/x", &ps));
    NUL(kvmpool_pool_spec_disk("n", NULL, &ps));
    NUL(kvmpool_pool_spec_disk("n", "/dev/x", NULL));
    NUL(kvmpool_pool_spec_iscsi(NULL, "h", "iqn.2024-01.x:t", &ps));
    NUL(kvmpool_pool_spec_iscsi("n", NULL, "iqn.2024-01.x:t", &ps));
    NUL(kvmpool_pool_spec_iscsi("n", "h", NULL, &ps));
    NUL(kvmpool_pool_spec_iscsi("n", "h", "iqn.2024-01.x:t", NULL));
    NUL(kvmpool_pool_spec_iscsi_direct(NULL, "h", "iqn.2024-01.x:t", "iqn.2024-01.x:i", &ps));
    NUL(kvmpool_pool_spec_iscsi_direct("n", NULL, "iqn.2024-01.x:t", "iqn.2024-01.x:i", &ps));
    NUL(kvmpool_pool_spec_iscsi_direct("n", "h", NULL, "iqn.2024-01.x:i", &ps));
    NUL(kvmpool_pool_spec_iscsi_direct("n", "h", "iqn.2024-01.x:t", NULL, &ps));
    NUL(kvmpool_pool_spec_iscsi_direct("n", "h", "iqn.2024-01.x:t", "iqn.2024-01.x:i", NULL));
    NUL(kvmpool_pool_spec_scsi(NULL, "host0", &ps));
    NUL(kvmpool_pool_spec_scsi("n", NULL, &ps));
    NUL(kvmpool_pool_spec_scsi("n", "host0", NULL));
    NUL(kvmpool_pool_spec_mpath(NULL, &ps));
    NUL(kvmpool_pool_spec_mpath("n", NULL));
    NUL(kvmpool_pool_spec_rbd(NULL, "m", "cp", &ps));
    NUL(kvmpool_pool_spec_rbd("n", NULL, "cp", &ps));
    NUL(kvmpool_pool_spec_rbd("n", "m", NULL, &ps));
    NUL(kvmpool_pool_spec_rbd("n", "m", "cp", NULL));
    NUL(kvmpool_pool_spec_sheepdog(NULL, "h", &ps));
    NUL(kvmpool_pool_spec_sheepdog("n", NULL, &ps));
    NUL(kvmpool_pool_spec_sheepdog("n", "h", NULL));
    NUL(kvmpool_pool_spec_gluster(NULL, "h", "gv", &ps));
    NUL(kvmpool_pool_spec_gluster("n", NULL, "gv", &ps));
    NUL(kvmpool_pool_spec_gluster("n", "h", NULL, &ps));
    NUL(kvmpool_pool_spec_gluster("n", "h", "gv", NULL));
    NUL(kvmpool_pool_spec_zfs(NULL, "zp", &ps));
    NUL(kvmpool_pool_spec_zfs("n", "zp", NULL));
    NUL(kvmpool_pool_spec_vstorage(NULL, "c", "/t", &ps));
    NUL(kvmpool_pool_spec_vstorage("n", NULL, "/t", &ps));
    NUL(kvmpool_pool_spec_vstorage("n", "c", NULL, &ps));
    NUL(kvmpool_pool_spec_vstorage("n", "c", "/t", NULL));
    NUL(kvmpool_pool_spec_from_xml(NULL, &ps));
    NUL(kvmpool_pool_spec_from_xml("<pool type='dir'/>", NULL));
    CHECK(ps == SENTINEL);

    /* pool spec readers and setters */
    NUL(kvmpool_pool_spec_to_xml(NULL, &s));
    NUL(kvmpool_pool_spec_to_xml(pspec, NULL));
    NUL(kvmpool_pool_spec_validate(NULL));
    NUL(kvmpool_pool_spec_name(NULL, &s));
    NUL(kvmpool_pool_spec_name(pspec, NULL));
    NUL(kvmpool_pool_spec_type(NULL, &s));
    NUL(kvmpool_pool_spec_type(pspec, NULL));
    NUL(kvmpool_pool_spec_target_path(NULL, &s));
    NUL(kvmpool_pool_spec_target_path(pspec, NULL));
    NUL(kvmpool_pool_spec_set_name(NULL, "n"));
    NUL(kvmpool_pool_spec_set_name(pspec, NULL));
    NUL(kvmpool_pool_spec_set_uuid(NULL, NULL));
    NUL(kvmpool_pool_spec_set_target(NULL, "/t"));
    NUL(kvmpool_pool_spec_set_target(pspec, NULL));
    NUL(kvmpool_pool_spec_set_permissions(NULL, 0755, -1, -1, NULL));
    NUL(kvmpool_pool_spec_set_format(NULL, "ext4"));
    NUL(kvmpool_pool_spec_set_format(pspec, NULL));
    NUL(kvmpool_pool_spec_set_port(NULL, 1));
    NUL(kvmpool_pool_spec_add_host(NULL, "h", 0));
    NUL(kvmpool_pool_spec_add_host(pspec, NULL, 0));
    NUL(kvmpool_pool_spec_add_device(NULL, "/dev/x"));
    NUL(kvmpool_pool_spec_add_device(pspec, NULL));
    NUL(kvmpool_pool_spec_set_part_separator(NULL, true));
    NUL(kvmpool_pool_spec_add_mount_option(NULL, "noatime"));
    NUL(kvmpool_pool_spec_add_mount_option(pspec, NULL));
    NUL(kvmpool_pool_spec_set_protocol_version(NULL, "4"));
    NUL(kvmpool_pool_spec_set_initiator(NULL, "iqn.2024-01.x:i"));
    NUL(kvmpool_pool_spec_set_auth(NULL, "chap", "u", NULL, "usage"));
    /* NULL auth_type: the pool type's own; a dir pool has none */
    CHECK_STATUS(kvmpool_pool_spec_set_auth(pspec, NULL, "u", NULL, "usage"), KVMPOOL_ERR_INVALID_SPEC);
    NUL(kvmpool_pool_spec_set_auth(pspec, "chap", NULL, NULL, "usage"));
    NUL(kvmpool_pool_spec_set_vendor(NULL, "v"));
    NUL(kvmpool_pool_spec_set_product(NULL, "p"));
    NUL(kvmpool_pool_spec_set_source_name(NULL, "s"));
    NUL(kvmpool_pool_spec_set_source_name(pspec, NULL));
    NUL(kvmpool_pool_spec_set_source_dir(NULL, "/d"));
    NUL(kvmpool_pool_spec_set_source_dir(pspec, NULL));
    NUL(kvmpool_pool_spec_set_cow(NULL, true));
    NUL(kvmpool_pool_spec_add_config_option(NULL, "k", "v"));
    NUL(kvmpool_pool_spec_add_config_option(pspec, NULL, "v"));
    NUL(kvmpool_pool_spec_add_config_option(pspec, "k", NULL));
    NUL(kvmpool_pool_spec_set_refresh_allocation(NULL, "capacity"));
    CHECK(s == SENTINEL);

    /* pools */
    NUL(kvmpool_pool_define(NULL, pspec, &p));
    NUL(kvmpool_pool_define(conn, NULL, &p));
    NUL(kvmpool_pool_define(conn, pspec, NULL));
    NUL(kvmpool_pool_define_xml(NULL, "<pool/>", &p));
    NUL(kvmpool_pool_define_xml(conn, NULL, &p));
    NUL(kvmpool_pool_define_xml(conn, "<pool/>", NULL));
    NUL(kvmpool_pool_create(NULL, pspec, &p));
    NUL(kvmpool_pool_create(conn, NULL, &p));
    NUL(kvmpool_pool_create(conn, pspec, NULL));
    NUL(kvmpool_pool_create_with_build(NULL, pspec, KVMPOOL_BUILD_NORMAL, &p));
    NUL(kvmpool_pool_create_with_build(conn, NULL, KVMPOOL_BUILD_NORMAL, &p));
    NUL(kvmpool_pool_create_with_build(conn, pspec, KVMPOOL_BUILD_NORMAL, NULL));
    NUL(kvmpool_pool_create_xml(NULL, "<pool/>", &p));
    NUL(kvmpool_pool_create_xml(conn, NULL, &p));
    NUL(kvmpool_pool_create_xml(conn, "<pool/>", NULL));
    NUL(kvmpool_pool_ensure(NULL, pspec, NULL, &p, &changes));
    NUL(kvmpool_pool_ensure(conn, NULL, NULL, &p, &changes));
    NUL(kvmpool_pool_ensure(conn, pspec, NULL, NULL, &changes));
    CHECK(changes == 42);
    NUL(kvmpool_pool_lookup(NULL, "n", &p));
    NUL(kvmpool_pool_lookup(conn, NULL, &p));
    NUL(kvmpool_pool_lookup(conn, "n", NULL));
    NUL(kvmpool_pool_lookup_by_uuid(NULL, "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f", &p));
    NUL(kvmpool_pool_lookup_by_uuid(conn, NULL, &p));
    NUL(kvmpool_pool_lookup_by_uuid(conn, "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f", NULL));
    NUL(kvmpool_pool_lookup_by_target_path(NULL, "/t", &p));
    NUL(kvmpool_pool_lookup_by_target_path(conn, NULL, &p));
    NUL(kvmpool_pool_lookup_by_target_path(conn, "/t", NULL));
    NUL(kvmpool_pool_list(NULL, 0, &plist));
    NUL(kvmpool_pool_list(conn, 0, NULL));
    CHECK(p == SENTINEL && plist == SENTINEL);
    NUL(kvmpool_pool_build(NULL, KVMPOOL_BUILD_NORMAL));
    NUL(kvmpool_pool_start(NULL));
    NUL(kvmpool_pool_start_with_build(NULL, KVMPOOL_BUILD_NORMAL));
    NUL(kvmpool_pool_destroy(NULL));
    NUL(kvmpool_pool_delete(NULL, KVMPOOL_DELETE_NORMAL));
    NUL(kvmpool_pool_undefine(NULL));
    NUL(kvmpool_pool_refresh(NULL));
    NUL(kvmpool_pool_set_autostart(NULL, true));
    NUL(kvmpool_pool_edit(NULL, pspec));
    NUL(kvmpool_pool_edit(pool, NULL));
    NUL(kvmpool_pool_autostart(NULL, &b));
    NUL(kvmpool_pool_autostart(pool, NULL));
    NUL(kvmpool_pool_is_active(NULL, &b));
    NUL(kvmpool_pool_is_active(pool, NULL));
    NUL(kvmpool_pool_is_persistent(NULL, &b));
    NUL(kvmpool_pool_is_persistent(pool, NULL));
    CHECK(b == true);
    NUL(kvmpool_pool_info(NULL, &pinfo));
    NUL(kvmpool_pool_info(pool, NULL));
    CHECK(pinfo.state == KVMPOOL_POOL_BUILDING && pinfo.capacity == 1);
    NUL(kvmpool_pool_name(NULL, &s));
    NUL(kvmpool_pool_name(pool, NULL));
    NUL(kvmpool_pool_uuid(NULL, &s));
    NUL(kvmpool_pool_uuid(pool, NULL));
    NUL(kvmpool_pool_type(NULL, &s));
    NUL(kvmpool_pool_type(pool, NULL));
    NUL(kvmpool_pool_xml(NULL, &s));
    NUL(kvmpool_pool_xml(pool, NULL));
    NUL(kvmpool_pool_xml_inactive(NULL, &s));
    NUL(kvmpool_pool_xml_inactive(pool, NULL));
    NUL(kvmpool_pool_get_spec(NULL, &ps));
    NUL(kvmpool_pool_get_spec(pool, NULL));
    CHECK(s == SENTINEL && ps == SENTINEL);

    /* volume specs */
    NUL(kvmpool_vol_spec_new(NULL, 1, &vs));
    NUL(kvmpool_vol_spec_new("v", 1, NULL));
    NUL(kvmpool_vol_spec_from_xml(NULL, &vs));
    NUL(kvmpool_vol_spec_from_xml("<volume/>", NULL));
    NUL(kvmpool_vol_spec_to_xml(NULL, &s));
    NUL(kvmpool_vol_spec_to_xml(vspec, NULL));
    NUL(kvmpool_vol_spec_validate(NULL));
    NUL(kvmpool_vol_spec_set_name(NULL, "v"));
    NUL(kvmpool_vol_spec_set_name(vspec, NULL));
    NUL(kvmpool_vol_spec_set_capacity(NULL, 1));
    NUL(kvmpool_vol_spec_set_format(NULL, "raw"));
    NUL(kvmpool_vol_spec_set_allocation(NULL, 0));
    NUL(kvmpool_vol_spec_set_preallocation(NULL, KVMPOOL_PREALLOC_SPARSE));
    NUL(kvmpool_vol_spec_set_permissions(NULL, 0600, -1, -1, NULL));
    NUL(kvmpool_vol_spec_set_backing_store(NULL, "/b", "raw"));
    NUL(kvmpool_vol_spec_set_backing_store(vspec, NULL, "raw"));
    NUL(kvmpool_vol_spec_set_compat(NULL, "1.1"));
    NUL(kvmpool_vol_spec_add_feature(NULL, "lazy_refcounts"));
    NUL(kvmpool_vol_spec_add_feature(vspec, NULL));
    NUL(kvmpool_vol_spec_set_nocow(NULL, true));
    NUL(kvmpool_vol_spec_set_cluster_size(NULL, 65536));
    NUL(kvmpool_vol_spec_set_luks(NULL, NULL));
    CHECK(vs == SENTINEL);

    /* volumes */
    NUL(kvmpool_vol_create(NULL, vspec, &v));
    NUL(kvmpool_vol_create(pool, NULL, &v));
    NUL(kvmpool_vol_create(pool, vspec, NULL));
    NUL(kvmpool_vol_create_xml(NULL, "<volume/>", &v));
    NUL(kvmpool_vol_create_xml(pool, NULL, &v));
    NUL(kvmpool_vol_create_xml(pool, "<volume/>", NULL));
    NUL(kvmpool_vol_create_from(NULL, vspec, vol, &v));
    NUL(kvmpool_vol_create_from(pool, NULL, vol, &v));
    NUL(kvmpool_vol_create_from(pool, vspec, NULL, &v));
    NUL(kvmpool_vol_create_from(pool, vspec, vol, NULL));
    NUL(kvmpool_vol_clone(NULL, "c", false, &v));
    NUL(kvmpool_vol_clone(vol, NULL, false, &v));
    NUL(kvmpool_vol_clone(vol, "c", false, NULL));
    NUL(kvmpool_vol_lookup(NULL, "v", &v));
    NUL(kvmpool_vol_lookup(pool, NULL, &v));
    NUL(kvmpool_vol_lookup(pool, "v", NULL));
    NUL(kvmpool_vol_lookup_by_key(NULL, "k", &v));
    NUL(kvmpool_vol_lookup_by_key(conn, NULL, &v));
    NUL(kvmpool_vol_lookup_by_key(conn, "k", NULL));
    NUL(kvmpool_vol_lookup_by_path(NULL, "/p", &v));
    NUL(kvmpool_vol_lookup_by_path(conn, NULL, &v));
    NUL(kvmpool_vol_lookup_by_path(conn, "/p", NULL));
    NUL(kvmpool_vol_list(NULL, &vlist));
    NUL(kvmpool_vol_list(pool, NULL));
    NUL(kvmpool_vol_list_names(NULL, &names));
    NUL(kvmpool_vol_list_names(pool, NULL));
    CHECK(v == SENTINEL && vlist == SENTINEL && names == SENTINEL);
    NUL(kvmpool_vol_name(NULL, &s));
    NUL(kvmpool_vol_name(vol, NULL));
    NUL(kvmpool_vol_key(NULL, &s));
    NUL(kvmpool_vol_key(vol, NULL));
    NUL(kvmpool_vol_path(NULL, &s));
    NUL(kvmpool_vol_path(vol, NULL));
    NUL(kvmpool_vol_xml(NULL, &s));
    NUL(kvmpool_vol_xml(vol, NULL));
    NUL(kvmpool_vol_get_spec(NULL, &vs));
    NUL(kvmpool_vol_get_spec(vol, NULL));
    NUL(kvmpool_vol_pool(NULL, &p));
    NUL(kvmpool_vol_pool(vol, NULL));
    NUL(kvmpool_vol_info(NULL, &vinfo));
    NUL(kvmpool_vol_info(vol, NULL));
    NUL(kvmpool_vol_physical(NULL, &u));
    NUL(kvmpool_vol_physical(vol, NULL));
    CHECK(vinfo.vol_type == KVMPOOL_VOL_PLOOP && u == 42);
    NUL(kvmpool_vol_resize(NULL, 1, 0));
    NUL(kvmpool_vol_wipe(NULL, NULL));
    NUL(kvmpool_vol_delete(NULL, KVMPOOL_DELETE_NORMAL));
    NUL(kvmpool_vol_upload_file(NULL, datafile, 0, 0, false, NULL, NULL));
    NUL(kvmpool_vol_upload_file(vol, NULL, 0, 0, false, NULL, NULL));
    NUL(kvmpool_vol_download_file(NULL, datafile, 0, 0, false, NULL, NULL));
    NUL(kvmpool_vol_download_file(vol, NULL, 0, 0, false, NULL, NULL));
    CHECK(s == SENTINEL && vs == SENTINEL && p == SENTINEL);
#undef NUL

    /* The argument is named in the message and as the field. */
    CHECK_STATUS(kvmpool_pool_lookup(conn, NULL, &p), KVMPOOL_ERR_NULL);
    CHECK_STREQ(kvmpool_last_error_field(), "name");
    CHECK(strstr(kvmpool_last_error_message(), "name") != NULL);
    CHECK(kvmpool_last_error_libvirt_code() == -1);
    CHECK_STATUS(kvmpool_pool_lookup(conn, "n", NULL), KVMPOOL_ERR_NULL);
    CHECK_STREQ(kvmpool_last_error_field(), "pool_out");

    /* Every free accepts NULL. */
    kvmpool_conn_free(NULL);
    kvmpool_pool_free(NULL);
    kvmpool_vol_free(NULL);
    kvmpool_pool_spec_free(NULL);
    kvmpool_vol_spec_free(NULL);
    kvmpool_string_free(NULL);
    kvmpool_strings_free(NULL);
    kvmpool_pools_free(NULL);
    kvmpool_vols_free(NULL);
    kvmpool_pool_sources_free(NULL);
    /* and a NULL list reads as empty */
    CHECK(kvmpool_strings_len(NULL) == 0 && kvmpool_strings_get(NULL, 0) == NULL);
    CHECK(kvmpool_pools_len(NULL) == 0 && kvmpool_pools_get(NULL, 0) == NULL);
    CHECK(kvmpool_vols_len(NULL) == 0 && kvmpool_vols_get(NULL, 0) == NULL);
    CHECK(kvmpool_pool_sources_len(NULL) == 0 && kvmpool_pool_sources_get(NULL, 0) == NULL);
    (void)c;
}

/* Invalid UTF-8 for every string argument. */
static void utf8_arguments(void)
{
    char *s = SENTINEL;
    kvmpool_conn *c = SENTINEL;
    kvmpool_pool *p = SENTINEL;
    kvmpool_vol *v = SENTINEL;
    kvmpool_pool_spec *ps = SENTINEL;
    kvmpool_vol_spec *vs = SENTINEL;
    uint64_t u = 42;
    const char *iqn = "iqn.2024-01.x:t", *ini = "iqn.2024-01.x:i";

#define UTF(call) CHECK_STATUS(call, KVMPOOL_ERR_UTF8)
    UTF(kvmpool_connect(BAD, &c));
    UTF(kvmpool_connect_read_only(BAD, &c));
    UTF(kvmpool_size_parse(BAD, &u));
    CHECK(c == SENTINEL && u == 42);
    CHECK_STREQ(kvmpool_last_error_field(), "text");
    CHECK(strstr(kvmpool_last_error_message(), "UTF-8") != NULL);

    UTF(kvmpool_pool_spec_dir(BAD, "/t", &ps));
    UTF(kvmpool_pool_spec_dir("n", BAD, &ps));
    UTF(kvmpool_pool_spec_fs(BAD, "/dev/x", "/t", &ps));
    UTF(kvmpool_pool_spec_fs("n", BAD, "/t", &ps));
    UTF(kvmpool_pool_spec_fs("n", "/dev/x", BAD, &ps));
    UTF(kvmpool_pool_spec_netfs(BAD, "h", "/e", "/t", &ps));
    UTF(kvmpool_pool_spec_netfs("n", BAD, "/e", "/t", &ps));
    UTF(kvmpool_pool_spec_netfs("n", "h", BAD, "/t", &ps));
    UTF(kvmpool_pool_spec_netfs("n", "h", "/e", BAD, &ps));
    UTF(kvmpool_pool_spec_logical(BAD, "vg", &ps));
    UTF(kvmpool_pool_spec_logical("n", BAD, &ps));
    UTF(kvmpool_pool_spec_disk(BAD, "/dev/x", &ps));
    UTF(kvmpool_pool_spec_disk("n", BAD, &ps));
    UTF(kvmpool_pool_spec_iscsi(BAD, "h", iqn, &ps));
    UTF(kvmpool_pool_spec_iscsi("n", BAD, iqn, &ps));
    UTF(kvmpool_pool_spec_iscsi("n", "h", BAD, &ps));
    UTF(kvmpool_pool_spec_iscsi_direct(BAD, "h", iqn, ini, &ps));
    UTF(kvmpool_pool_spec_iscsi_direct("n", BAD, iqn, ini, &ps));
    UTF(kvmpool_pool_spec_iscsi_direct("n", "h", BAD, ini, &ps));
    UTF(kvmpool_pool_spec_iscsi_direct("n", "h", iqn, BAD, &ps));
    UTF(kvmpool_pool_spec_scsi(BAD, "host0", &ps));
    UTF(kvmpool_pool_spec_scsi("n", BAD, &ps));
    UTF(kvmpool_pool_spec_mpath(BAD, &ps));
    UTF(kvmpool_pool_spec_rbd(BAD, "m", "cp", &ps));
    UTF(kvmpool_pool_spec_rbd("n", BAD, "cp", &ps));
    UTF(kvmpool_pool_spec_rbd("n", "m", BAD, &ps));
    UTF(kvmpool_pool_spec_sheepdog(BAD, "h", &ps));
    UTF(kvmpool_pool_spec_sheepdog("n", BAD, &ps));
    UTF(kvmpool_pool_spec_gluster(BAD, "h", "gv", &ps));
    UTF(kvmpool_pool_spec_gluster("n", BAD, "gv", &ps));
    UTF(kvmpool_pool_spec_gluster("n", "h", BAD, &ps));
    UTF(kvmpool_pool_spec_zfs(BAD, "zp", &ps));
    UTF(kvmpool_pool_spec_zfs("n", BAD, &ps));
    UTF(kvmpool_pool_spec_vstorage(BAD, "c", "/t", &ps));
    UTF(kvmpool_pool_spec_vstorage("n", BAD, "/t", &ps));
    UTF(kvmpool_pool_spec_vstorage("n", "c", BAD, &ps));
    UTF(kvmpool_pool_spec_from_xml(BAD, &ps));
    CHECK(ps == SENTINEL);

    UTF(kvmpool_pool_spec_set_name(pspec, BAD));
    UTF(kvmpool_pool_spec_set_uuid(pspec, BAD));
    UTF(kvmpool_pool_spec_set_target(pspec, BAD));
    UTF(kvmpool_pool_spec_set_permissions(pspec, 0755, -1, -1, BAD));
    UTF(kvmpool_pool_spec_set_format(pspec, BAD));
    UTF(kvmpool_pool_spec_add_host(pspec, BAD, 0));
    UTF(kvmpool_pool_spec_add_device(pspec, BAD));
    UTF(kvmpool_pool_spec_add_mount_option(pspec, BAD));
    UTF(kvmpool_pool_spec_set_protocol_version(pspec, BAD));
    UTF(kvmpool_pool_spec_set_initiator(pspec, BAD));
    UTF(kvmpool_pool_spec_set_auth(pspec, BAD, "u", NULL, "usage"));
    UTF(kvmpool_pool_spec_set_auth(pspec, "chap", BAD, NULL, "usage"));
    UTF(kvmpool_pool_spec_set_auth(pspec, "chap", "u", BAD, NULL));
    UTF(kvmpool_pool_spec_set_auth(pspec, "chap", "u", NULL, BAD));
    UTF(kvmpool_pool_spec_set_vendor(pspec, BAD));
    UTF(kvmpool_pool_spec_set_product(pspec, BAD));
    UTF(kvmpool_pool_spec_set_source_name(pspec, BAD));
    UTF(kvmpool_pool_spec_set_source_dir(pspec, BAD));
    UTF(kvmpool_pool_spec_add_config_option(pspec, BAD, "v"));
    UTF(kvmpool_pool_spec_add_config_option(pspec, "k", BAD));
    UTF(kvmpool_pool_spec_set_refresh_allocation(pspec, BAD));

    UTF(kvmpool_pool_define_xml(conn, BAD, &p));
    UTF(kvmpool_pool_create_xml(conn, BAD, &p));
    UTF(kvmpool_pool_lookup(conn, BAD, &p));
    UTF(kvmpool_pool_lookup_by_uuid(conn, BAD, &p));
    UTF(kvmpool_pool_lookup_by_target_path(conn, BAD, &p));
    CHECK(p == SENTINEL);

    UTF(kvmpool_vol_spec_new(BAD, 1, &vs));
    UTF(kvmpool_vol_spec_from_xml(BAD, &vs));
    CHECK(vs == SENTINEL);
    UTF(kvmpool_vol_spec_set_name(vspec, BAD));
    UTF(kvmpool_vol_spec_set_format(vspec, BAD));
    UTF(kvmpool_vol_spec_set_permissions(vspec, 0600, -1, -1, BAD));
    UTF(kvmpool_vol_spec_set_backing_store(vspec, BAD, NULL));
    UTF(kvmpool_vol_spec_set_backing_store(vspec, "/b", BAD));
    UTF(kvmpool_vol_spec_set_compat(vspec, BAD));
    UTF(kvmpool_vol_spec_add_feature(vspec, BAD));
    UTF(kvmpool_vol_spec_set_luks(vspec, BAD));

    UTF(kvmpool_vol_create_xml(pool, BAD, &v));
    UTF(kvmpool_vol_clone(vol, BAD, false, &v));
    UTF(kvmpool_vol_lookup(pool, BAD, &v));
    UTF(kvmpool_vol_lookup_by_key(conn, BAD, &v));
    UTF(kvmpool_vol_lookup_by_path(conn, BAD, &v));
    CHECK(v == SENTINEL);
    UTF(kvmpool_vol_wipe(vol, BAD));
    UTF(kvmpool_vol_upload_file(vol, BAD, 0, 0, false, NULL, NULL));
    UTF(kvmpool_vol_download_file(vol, BAD, 0, 0, false, NULL, NULL));
#undef UTF

    /* The specs the setters were given bad text for are unchanged. */
    CHECK_OK(kvmpool_pool_spec_name(pspec, &s));
    char buf[256];
    CHECK_STREQ(kt_take(s, buf, sizeof buf), "kvmpool-c-errors");
    CHECK_OK(kvmpool_pool_spec_validate(pspec));
    CHECK_OK(kvmpool_vol_spec_validate(vspec));
}

int main(void)
{
    kt_scratch(scratch, sizeof scratch, "errors");
    snprintf(datafile, sizeof datafile, "%s/data.img", scratch);
    if (kt_write_at(datafile, 0, 65536, 7) != 0) {
        fprintf(stderr, "FATAL: cannot write %s\n", datafile);
        return 1;
    }

    statuses();
    REQUIRE_OK(kvmpool_connect("test:///default", &conn));
    REQUIRE_OK(kvmpool_pool_spec_dir("kvmpool-c-errors", "/kvmpool-c-errors", &pspec));
    REQUIRE_OK(kvmpool_pool_define(conn, pspec, &pool));
    REQUIRE_OK(kvmpool_pool_start(pool));
    REQUIRE_OK(kvmpool_vol_spec_new("v1.img", 1ull << 20, &vspec));
    REQUIRE_OK(kvmpool_vol_create(pool, vspec, &vol));

    real_failures();
    live_libvirt_error();
    last_error_rules();
    null_arguments();
    utf8_arguments();

    CHECK_OK(kvmpool_vol_delete(vol, KVMPOOL_DELETE_NORMAL));
    CHECK_OK(kvmpool_pool_destroy(pool));
    CHECK_OK(kvmpool_pool_undefine(pool));
    kvmpool_vol_free(vol);
    kvmpool_vol_spec_free(vspec);
    kvmpool_pool_free(pool);
    kvmpool_pool_spec_free(pspec);
    kvmpool_conn_free(conn);
    kt_rmtree(scratch);
    return kt_finish("test_errors");
}
