/*
 * All 14 pool types on test:///default: each built with its constructor and the
 * setters it has, checked and round-tripped through XML, then defined, built,
 * started, inspected, autostarted, stopped and undefined. Also transient pools,
 * ensure, edit, list filters, setters on types that lack the field, and the volume
 * operations the test driver supports.
 */
#include "kvmpool_test.h"

static kvmpool_conn *conn;
static char buf[8192];

static const char *take(char *s)
{
    return kt_take(s, buf, sizeof buf);
}

typedef kvmpool_status (*make_fn)(const char *name, kvmpool_pool_spec **out);

static kvmpool_status make_dir(const char *name, kvmpool_pool_spec **out)
{
    kvmpool_status rc = kvmpool_pool_spec_dir(name, "/guest_images/c-dir", out);
    if (rc == KVMPOOL_OK) {
        CHECK_OK(kvmpool_pool_spec_set_permissions(*out, 0755, 0, 0, NULL));
        CHECK_OK(kvmpool_pool_spec_set_uuid(*out, "6d0e4a4e-43d0-4fd8-9a8e-2a4c2a1b9a01"));
    }
    return rc;
}

static kvmpool_status make_fs(const char *name, kvmpool_pool_spec **out)
{
    kvmpool_status rc = kvmpool_pool_spec_fs(name, "/dev/sdc1", "/guest_images/c-fs", out);
    if (rc == KVMPOOL_OK) {
        CHECK_OK(kvmpool_pool_spec_set_format(*out, "ext4"));
        CHECK_OK(kvmpool_pool_spec_add_mount_option(*out, "noatime"));
        CHECK_OK(kvmpool_pool_spec_set_cow(*out, false));
    }
    return rc;
}

static kvmpool_status make_netfs(const char *name, kvmpool_pool_spec **out)
{
    kvmpool_status rc = kvmpool_pool_spec_netfs(name, "192.168.2.20", "/nfsshare", "/nfstest", out);
    if (rc == KVMPOOL_OK) {
        CHECK_OK(kvmpool_pool_spec_set_format(*out, "nfs"));
        CHECK_OK(kvmpool_pool_spec_set_protocol_version(*out, "4.1"));
        CHECK_OK(kvmpool_pool_spec_set_port(*out, 2049));
    }
    return rc;
}

static kvmpool_status make_logical(const char *name, kvmpool_pool_spec **out)
{
    kvmpool_status rc = kvmpool_pool_spec_logical(name, "kvmvg", out);
    if (rc == KVMPOOL_OK) {
        CHECK_OK(kvmpool_pool_spec_add_device(*out, "/dev/sdd1"));
        CHECK_OK(kvmpool_pool_spec_set_format(*out, "lvm2"));
    }
    return rc;
}

static kvmpool_status make_disk(const char *name, kvmpool_pool_spec **out)
{
    kvmpool_status rc = kvmpool_pool_spec_disk(name, "/dev/sdc", out);
    if (rc == KVMPOOL_OK) {
        CHECK_OK(kvmpool_pool_spec_set_format(*out, "gpt"));
        CHECK_OK(kvmpool_pool_spec_set_part_separator(*out, false));
    }
    return rc;
}

static kvmpool_status make_iscsi(const char *name, kvmpool_pool_spec **out)
{
    kvmpool_status rc = kvmpool_pool_spec_iscsi(name, "192.168.2.20",
                                                "iqn.2017-10.com.cloud.www:storage001", out);
    if (rc == KVMPOOL_OK) {
        CHECK_OK(kvmpool_pool_spec_set_port(*out, 3260));
        CHECK_OK(kvmpool_pool_spec_set_initiator(*out, "iqn.2024-01.kvmpool.test:init"));
        CHECK_OK(kvmpool_pool_spec_set_auth(*out, "chap", "admin", NULL, "iscsi-secret"));
        CHECK_OK(kvmpool_pool_spec_set_vendor(*out, "LIO"));
        CHECK_OK(kvmpool_pool_spec_set_product(*out, "disk"));
    }
    return rc;
}

static kvmpool_status make_iscsi_direct(const char *name, kvmpool_pool_spec **out)
{
    return kvmpool_pool_spec_iscsi_direct(name, "127.0.0.1", "iqn.2024-01.kvmpool.test:t1",
                                          "iqn.2024-01.kvmpool.test:init", out);
}

static kvmpool_status make_scsi(const char *name, kvmpool_pool_spec **out)
{
    kvmpool_status rc = kvmpool_pool_spec_scsi(name, "host0", out);
    if (rc == KVMPOOL_OK)
        CHECK_OK(kvmpool_pool_spec_set_target(*out, "/dev/disk/by-id"));
    return rc;
}

static kvmpool_status make_mpath(const char *name, kvmpool_pool_spec **out)
{
    return kvmpool_pool_spec_mpath(name, out);
}

static kvmpool_status make_rbd(const char *name, kvmpool_pool_spec **out)
{
    kvmpool_status rc = kvmpool_pool_spec_rbd(name, "mon1.example.com", "rbdpool", out);
    if (rc == KVMPOOL_OK) {
        CHECK_OK(kvmpool_pool_spec_set_port(*out, 6789));
        CHECK_OK(kvmpool_pool_spec_add_host(*out, "mon2.example.com", 6789));
        CHECK_OK(kvmpool_pool_spec_set_auth(*out, "ceph", "libvirt",
                                            "2ec115d7-3a88-3ceb-bc12-0ac909a6fd87", NULL));
        CHECK_OK(kvmpool_pool_spec_add_config_option(*out, "client_mount_timeout", "45"));
        CHECK_OK(kvmpool_pool_spec_set_refresh_allocation(*out, "capacity"));
    }
    return rc;
}

static kvmpool_status make_sheepdog(const char *name, kvmpool_pool_spec **out)
{
    kvmpool_status rc = kvmpool_pool_spec_sheepdog(name, "localhost", out);
    if (rc == KVMPOOL_OK) {
        CHECK_OK(kvmpool_pool_spec_set_port(*out, 7000));
        CHECK_OK(kvmpool_pool_spec_set_source_name(*out, "sheep"));
    }
    return rc;
}

static kvmpool_status make_gluster(const char *name, kvmpool_pool_spec **out)
{
    kvmpool_status rc = kvmpool_pool_spec_gluster(name, "gluster.example.com", "gv0", out);
    if (rc == KVMPOOL_OK)
        CHECK_OK(kvmpool_pool_spec_set_source_dir(*out, "/images"));
    return rc;
}

static kvmpool_status make_zfs(const char *name, kvmpool_pool_spec **out)
{
    kvmpool_status rc = kvmpool_pool_spec_zfs(name, NULL, out);
    if (rc == KVMPOOL_OK)
        CHECK_OK(kvmpool_pool_spec_add_device(*out, "/dev/sde"));
    return rc;
}

static kvmpool_status make_vstorage(const char *name, kvmpool_pool_spec **out)
{
    return kvmpool_pool_spec_vstorage(name, "cluster1", "/vstorage", out);
}

static const struct {
    const char *type;
    make_fn make;
    const char *target; /* NULL: none */
} types[] = {
    {"dir", make_dir, "/guest_images/c-dir"},
    {"fs", make_fs, "/guest_images/c-fs"},
    {"netfs", make_netfs, "/nfstest"},
    {"logical", make_logical, "/dev/kvmvg"},
    {"disk", make_disk, "/dev"},
    {"iscsi", make_iscsi, "/dev/disk/by-path"},
    {"iscsi-direct", make_iscsi_direct, NULL},
    {"scsi", make_scsi, "/dev/disk/by-id"},
    {"mpath", make_mpath, "/dev/mapper"},
    {"rbd", make_rbd, NULL},
    {"sheepdog", make_sheepdog, NULL},
    {"gluster", make_gluster, NULL},
    {"zfs", make_zfs, "/dev/zvol/kvmpool-c-zfs"},
    {"vstorage", make_vstorage, "/vstorage"},
};

static void one_type(size_t i)
{
    char name[64];
    snprintf(name, sizeof name, "kvmpool-c-%s", types[i].type);
    printf("  %-13s", types[i].type);
    kvmpool_pool_spec *spec = NULL, *again = NULL, *live = NULL;
    kvmpool_pool *pool = NULL, *found = NULL;
    char *s = NULL, *xml = NULL;

    REQUIRE_OK(types[i].make(name, &spec));
    CHECK_OK(kvmpool_pool_spec_validate(spec));
    CHECK_OK(kvmpool_pool_spec_type(spec, &s));
    CHECK_STREQ(take(s), types[i].type);
    CHECK_OK(kvmpool_pool_spec_name(spec, &s));
    CHECK_STREQ(take(s), name);
    CHECK_OK(kvmpool_pool_spec_target_path(spec, &s));
    if (types[i].target)
        CHECK_STREQ(take(s), types[i].target);
    else
        CHECK(s == NULL);

    /* XML round trip: parse(render(spec)) renders the same. */
    REQUIRE_OK(kvmpool_pool_spec_to_xml(spec, &xml));
    REQUIRE_OK(kvmpool_pool_spec_from_xml(xml, &again));
    CHECK_OK(kvmpool_pool_spec_to_xml(again, &s));
    CHECK_STREQ(s, xml);
    kvmpool_string_free(s);
    kvmpool_string_free(xml);
    kvmpool_pool_spec_free(again);

    /* The lifecycle on the test driver. */
    REQUIRE_OK(kvmpool_pool_define(conn, spec, &pool));
    bool b = true;
    CHECK_OK(kvmpool_pool_is_active(pool, &b));
    CHECK(!b);
    CHECK_OK(kvmpool_pool_is_persistent(pool, &b));
    CHECK(b);
    CHECK_OK(kvmpool_pool_type(pool, &s));
    CHECK_STREQ(take(s), types[i].type);
    CHECK_OK(kvmpool_pool_build(pool, KVMPOOL_BUILD_NORMAL));
    CHECK_OK(kvmpool_pool_start(pool));
    kvmpool_pool_details info = {KVMPOOL_POOL_INACTIVE, 0, 0, 0};
    CHECK_OK(kvmpool_pool_info(pool, &info));
    CHECK(info.state == KVMPOOL_POOL_RUNNING);
    CHECK(info.capacity > 0 && info.allocation + info.available <= info.capacity);
    CHECK_STATUS(kvmpool_pool_start(pool), KVMPOOL_ERR_STATE);
    CHECK_OK(kvmpool_pool_set_autostart(pool, true));
    CHECK_OK(kvmpool_pool_autostart(pool, &b));
    CHECK(b);
    CHECK_OK(kvmpool_pool_refresh(pool));

    /* What libvirt stored is what was asked for. */
    CHECK_OK(kvmpool_pool_get_spec(pool, &live));
    CHECK_OK(kvmpool_pool_spec_type(live, &s));
    CHECK_STREQ(take(s), types[i].type);
    CHECK_OK(kvmpool_pool_spec_target_path(live, &s));
    if (types[i].target)
        CHECK_STREQ(take(s), types[i].target);
    else
        CHECK(s == NULL);
    kvmpool_pool_spec_free(live);
    CHECK_OK(kvmpool_pool_xml(pool, &s));
    CHECK(strstr(s, name) != NULL);
    kvmpool_string_free(s);

    /* Look-ups by name and UUID find the same pool. */
    char uuid[64];
    CHECK_OK(kvmpool_pool_uuid(pool, &s));
    snprintf(uuid, sizeof uuid, "%s", take(s));
    CHECK_OK(kvmpool_pool_lookup_by_uuid(conn, uuid, &found));
    CHECK_OK(kvmpool_pool_name(found, &s));
    CHECK_STREQ(take(s), name);
    kvmpool_pool_free(found);
    found = NULL;
    CHECK_OK(kvmpool_pool_lookup(conn, name, &found));
    CHECK_OK(kvmpool_pool_uuid(found, &s));
    CHECK_STREQ(take(s), uuid);
    kvmpool_pool_free(found);
    found = NULL;

    CHECK_OK(kvmpool_pool_destroy(pool));
    CHECK_OK(kvmpool_pool_info(pool, &info));
    CHECK(info.state == KVMPOOL_POOL_INACTIVE);
    CHECK_OK(kvmpool_pool_undefine(pool));
    CHECK_STATUS(kvmpool_pool_lookup(conn, name, &found), KVMPOOL_ERR_NOT_FOUND);
    kvmpool_pool_free(pool);
    kvmpool_pool_spec_free(spec);
    printf(" defined, built, started, autostarted, destroyed, undefined\n");
}

/* Setters refuse the fields a type does not have, naming the field. */
static void setters_by_type(void)
{
    kvmpool_pool_spec *dir = NULL, *rbd = NULL, *fs = NULL;
    REQUIRE_OK(kvmpool_pool_spec_dir("kvmpool-c-s", NULL, &dir));
    REQUIRE_OK(kvmpool_pool_spec_rbd("kvmpool-c-r", "mon", "cp", &rbd));
    REQUIRE_OK(kvmpool_pool_spec_fs("kvmpool-c-f", "/dev/sdc1", NULL, &fs));
    kvmpool_pool_spec *mpath = NULL;
    REQUIRE_OK(kvmpool_pool_spec_mpath("kvmpool-c-m", &mpath));
    char *s = NULL;
    CHECK_OK(kvmpool_pool_spec_target_path(dir, &s));
    CHECK_STREQ(take(s), "/var/lib/libvirt/images/kvmpool-c-s");
    CHECK_OK(kvmpool_pool_spec_target_path(fs, &s));
    CHECK_STREQ(take(s), "/var/lib/libvirt/images/kvmpool-c-f");

    struct {
        kvmpool_status rc;
        const char *field;
    } refused[] = {
        {kvmpool_pool_spec_set_target(rbd, "/x"), "target"},
        {kvmpool_pool_spec_set_permissions(rbd, 0700, -1, -1, NULL), "mode"},
        {kvmpool_pool_spec_set_format(dir, "ext4"), "format"},
        {kvmpool_pool_spec_set_format(fs, "btrfs"), "format"},
        {kvmpool_pool_spec_set_port(dir, 1), "port"},
        {kvmpool_pool_spec_add_host(dir, "h", 0), "hosts"},
        {kvmpool_pool_spec_add_device(dir, "/dev/x"), "devices"},
        {kvmpool_pool_spec_set_part_separator(dir, true), "part_separator"},
        {kvmpool_pool_spec_add_mount_option(rbd, "ro"), "mount_options"},
        {kvmpool_pool_spec_set_protocol_version(dir, "4"), "protocol_version"},
        {kvmpool_pool_spec_set_initiator(dir, "iqn.2024-01.x:i"), "initiator"},
        {kvmpool_pool_spec_set_auth(dir, "chap", "u", NULL, "s"), "auth_type"},
        {kvmpool_pool_spec_set_auth(rbd, "ceph", "u", NULL, NULL), "auth_secret_uuid"},
        {kvmpool_pool_spec_set_auth(rbd, "kerberos", "u", NULL, "s"), "auth_type"},
        {kvmpool_pool_spec_set_vendor(dir, "v"), "vendor"},
        {kvmpool_pool_spec_set_product(dir, "p"), "product"},
        {kvmpool_pool_spec_set_source_name(dir, "x"), "source_name"},
        {kvmpool_pool_spec_set_source_dir(dir, "/x"), "source_path"},
        {kvmpool_pool_spec_set_cow(rbd, true), "cow"},
        {kvmpool_pool_spec_add_config_option(dir, "k", "v"), "config_options"},
        {kvmpool_pool_spec_set_refresh_allocation(dir, "capacity"), "refresh_allocation"},
        {kvmpool_pool_spec_set_uuid(dir, "not-a-uuid"), "uuid"},
        {kvmpool_pool_spec_set_target(dir, "relative"), "target"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        /* (the initialisers run in no fixed order; only the statuses are checked) */
        kt_checks++;
        if (refused[i].rc != KVMPOOL_ERR_INVALID_SPEC) {
            kt_failed++;
            fprintf(stderr, "FAILED: setter %zu (%s) returned %s\n", i, refused[i].field,
                    kvmpool_status_name(refused[i].rc));
        }
    }
    /* One by one for the field names and the core's words. */
    CHECK_STATUS(kvmpool_pool_spec_set_target(rbd, "/x"), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "target");
    CHECK_STREQ(kvmpool_last_error_message(), "target: rbd pools have no such field");
    CHECK_STATUS(kvmpool_pool_spec_set_format(fs, "btrfs"), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "format");
    CHECK(strstr(kvmpool_last_error_message(), "ext4") != NULL);
    CHECK_STATUS(kvmpool_pool_spec_set_cow(fs, true), KVMPOOL_OK); /* fs pools have cow too */
    CHECK_STATUS(kvmpool_pool_spec_set_permissions(mpath, 0750, -1, -1, NULL), KVMPOOL_OK);

    /* Constructors refuse bad input at once; setters check each value. */
    static kvmpool_pool_spec *const untouched = (kvmpool_pool_spec *)&untouched;
    kvmpool_pool_spec *id = untouched;
    CHECK_STATUS(kvmpool_pool_spec_iscsi_direct("kvmpool-c-id", "127.0.0.1", "iqn.2024-01.x:t",
                                                "not an iqn", &id),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK(id == untouched);
    CHECK_STREQ(kvmpool_last_error_field(), "initiator");
    id = NULL;
    REQUIRE_OK(kvmpool_pool_spec_iscsi_direct("kvmpool-c-id", "127.0.0.1", "iqn.2024-01.x:t",
                                              "iqn.2024-01.kvmpool.test:init", &id));
    CHECK_STATUS(kvmpool_pool_spec_set_initiator(id, "not an iqn"), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "initiator");
    CHECK_STATUS(kvmpool_pool_spec_set_initiator(id, NULL), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_message(), "initiator: is required for iscsi-direct pools");
    CHECK_OK(kvmpool_pool_spec_validate(id));
    CHECK_OK(kvmpool_pool_spec_set_name(id, "kvmpool-c-renamed"));
    CHECK_OK(kvmpool_pool_spec_name(id, &s));
    CHECK_STREQ(take(s), "kvmpool-c-renamed");
    kvmpool_pool_spec_free(id);
    kvmpool_pool_spec_free(mpath);
    kvmpool_pool_spec_free(dir);
    kvmpool_pool_spec_free(rbd);
    kvmpool_pool_spec_free(fs);
}

/* The tutorial's whole-disk pool from XML (step 4), with its stray spaces. */
static void disk_pool_from_xml(void)
{
    static const char xml[] = "<pool type='disk'>\n"
                              "  <name>kvmpool-c-xmldisk</name>\n"
                              "  <source>\n"
                              "    <device path='/dev/sdc'/>\n"
                              "    <format type='gpt'/>\n"
                              "  </source>\n"
                              "  <target>\n"
                              "    <path>/dev </path>\n"
                              "  </target>\n"
                              "</pool>\n";
    kvmpool_pool *pool = NULL;
    char *s = NULL;
    CHECK_OK(kvmpool_pool_define_xml(conn, xml, &pool));
    CHECK_OK(kvmpool_pool_type(pool, &s));
    CHECK_STREQ(take(s), "disk");
    CHECK_OK(kvmpool_pool_undefine(pool));
    kvmpool_pool_free(pool);
    /* Malformed XML never reaches libvirt. */
    pool = NULL;
    CHECK_STATUS(kvmpool_pool_define_xml(conn, "<pool type='nosuch'><name>x</name></pool>", &pool),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK(pool == NULL);
}

static int contains_pool(const kvmpool_pools *pools, const char *name)
{
    for (size_t i = 0; i < kvmpool_pools_len(pools); i++) {
        char *s = NULL;
        if (kvmpool_pool_name(kvmpool_pools_get(pools, i), &s) == KVMPOOL_OK) {
            int same = strcmp(s, name) == 0;
            kvmpool_string_free(s);
            if (same)
                return 1;
        }
    }
    return 0;
}

/* Transient pools, list filters, ensure and edit. */
static void transient_list_ensure_edit(void)
{
    kvmpool_pool_spec *tspec = NULL, *pspec = NULL;
    kvmpool_pool *tpool = NULL, *ppool = NULL;
    kvmpool_pools *pools = NULL;
    bool b = true;

    REQUIRE_OK(kvmpool_pool_spec_dir("kvmpool-c-transient", "/kvmpool-c-transient", &tspec));
    /* The test driver has no create-with-build (the live tutorial test uses it). */
    CHECK_STATUS(kvmpool_pool_create_with_build(conn, tspec, KVMPOOL_BUILD_NORMAL, &tpool),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK(tpool == NULL);
    CHECK_OK(kvmpool_pool_create(conn, tspec, &tpool));
    CHECK_OK(kvmpool_pool_is_persistent(tpool, &b));
    CHECK(!b);
    CHECK_OK(kvmpool_pool_list(conn, KVMPOOL_LIST_TRANSIENT, &pools));
    CHECK(kvmpool_pools_len(pools) >= 1 && contains_pool(pools, "kvmpool-c-transient"));
    kvmpool_pools_free(pools);
    CHECK_OK(kvmpool_pool_list(conn, KVMPOOL_LIST_PERSISTENT, &pools));
    CHECK(!contains_pool(pools, "kvmpool-c-transient"));
    kvmpool_pools_free(pools);
    pools = NULL;
    CHECK_STATUS(kvmpool_pool_list(conn, 1u << 20, &pools), KVMPOOL_ERR_INVALID_SPEC);
    CHECK(pools == NULL);
    CHECK_OK(kvmpool_pool_destroy(tpool));
    CHECK_STATUS(kvmpool_pool_lookup(conn, "kvmpool-c-transient", &ppool),
                 KVMPOOL_ERR_NOT_FOUND);
    kvmpool_pool_free(tpool);
    tpool = NULL;
    char *xml = NULL;
    CHECK_OK(kvmpool_pool_spec_to_xml(tspec, &xml));
    CHECK_OK(kvmpool_pool_create_xml(conn, xml, &tpool));
    kvmpool_string_free(xml);
    CHECK_OK(kvmpool_pool_destroy(tpool));
    kvmpool_pool_free(tpool);
    kvmpool_pool_spec_free(tspec);

    /* ensure: defines, builds, starts and autostarts once; then changes nothing. */
    REQUIRE_OK(kvmpool_pool_spec_dir("kvmpool-c-ensure", "/kvmpool-c-ensure", &pspec));
    kvmpool_ensure_options opts = kvmpool_ensure_options_default();
    CHECK(opts.flags == (KVMPOOL_ENSURE_BUILD | KVMPOOL_ENSURE_START) && opts.autostart == -1 &&
          opts.build_mode == KVMPOOL_BUILD_NORMAL);
    opts.autostart = 1;
    uint32_t changes = 0;
    CHECK_OK(kvmpool_pool_ensure(conn, pspec, &opts, &ppool, &changes));
    CHECK(changes == (KVMPOOL_ENSURED_DEFINED | KVMPOOL_ENSURED_BUILT | KVMPOOL_ENSURED_STARTED |
                      KVMPOOL_ENSURED_AUTOSTART));
    kvmpool_pool_free(ppool);
    ppool = NULL;
    CHECK_OK(kvmpool_pool_ensure(conn, pspec, &opts, &ppool, &changes));
    CHECK(changes == 0);
    kvmpool_pool_free(ppool);
    ppool = NULL;
    CHECK_OK(kvmpool_pool_ensure(conn, pspec, NULL, &ppool, NULL));
    opts.autostart = 7;
    kvmpool_pool *untouched = NULL;
    CHECK_STATUS(kvmpool_pool_ensure(conn, pspec, &opts, &untouched, &changes),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK(untouched == NULL);
    CHECK_STREQ(kvmpool_last_error_field(), "options.autostart");
    /* Options from memory nobody set: every bit pattern is a value that is checked
     * (the struct holds integers only), never undefined behaviour. */
    kvmpool_ensure_options garbage;
    memset(&garbage, 0xa5, sizeof garbage);
    CHECK_STATUS(kvmpool_pool_ensure(conn, pspec, &garbage, &untouched, &changes),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "options.flags");
    opts = kvmpool_ensure_options_default();
    opts.flags |= 1u << 5;
    CHECK_STATUS(kvmpool_pool_ensure(conn, pspec, &opts, &untouched, &changes),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "options.flags");
    CHECK(untouched == NULL);
    /* Neither build nor start: nothing to change on a pool that exists. */
    opts.flags = 0;
    opts.build_mode = 12345; /* not read without KVMPOOL_ENSURE_BUILD */
    CHECK_OK(kvmpool_pool_ensure(conn, pspec, &opts, &untouched, &changes));
    CHECK(changes == 0);
    kvmpool_pool_free(untouched);
    CHECK_OK(kvmpool_pool_list(conn, KVMPOOL_LIST_ACTIVE | KVMPOOL_LIST_AUTOSTART, &pools));
    CHECK(contains_pool(pools, "kvmpool-c-ensure"));
    kvmpool_pools_free(pools);
    CHECK_OK(kvmpool_pool_list(conn, KVMPOOL_LIST_INACTIVE, &pools));
    CHECK(!contains_pool(pools, "kvmpool-c-ensure"));
    kvmpool_pools_free(pools);

    /* edit: a changed target, kept UUID; a rename is refused. */
    kvmpool_pool_spec *cur = NULL;
    char *s = NULL, uuid[64];
    CHECK_OK(kvmpool_pool_uuid(ppool, &s));
    snprintf(uuid, sizeof uuid, "%s", take(s));
    CHECK_OK(kvmpool_pool_destroy(ppool));
    CHECK_OK(kvmpool_pool_get_spec(ppool, &cur));
    CHECK_OK(kvmpool_pool_spec_set_target(cur, "/kvmpool-c-ensure-moved"));
    CHECK_OK(kvmpool_pool_edit(ppool, cur));
    kvmpool_pool_spec_free(cur);
    cur = NULL;
    CHECK_OK(kvmpool_pool_get_spec(ppool, &cur));
    CHECK_OK(kvmpool_pool_spec_target_path(cur, &s));
    CHECK_STREQ(take(s), "/kvmpool-c-ensure-moved");
    CHECK_OK(kvmpool_pool_spec_set_name(cur, "kvmpool-c-other-name"));
    CHECK_STATUS(kvmpool_pool_edit(ppool, cur), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "name");
    kvmpool_pool_spec_free(cur);
    CHECK_OK(kvmpool_pool_uuid(ppool, &s));
    CHECK_STREQ(take(s), uuid);
    CHECK_OK(kvmpool_pool_set_autostart(ppool, false));
    CHECK_OK(kvmpool_pool_undefine(ppool));
    kvmpool_pool_free(ppool);
    kvmpool_pool_spec_free(pspec);
}

/* Volume operations the test driver supports, in a dir pool. */
static void volumes_on_the_test_driver(void)
{
    kvmpool_pool_spec *pspec = NULL;
    kvmpool_pool *pool = NULL, *other = NULL;
    kvmpool_vol_spec *vspec = NULL, *copy = NULL, *got = NULL;
    kvmpool_vol *vol = NULL, *clone = NULL, *from = NULL, *byk = NULL, *byp = NULL;
    char *s = NULL, key[1024], path[1024];

    REQUIRE_OK(kvmpool_pool_spec_dir("kvmpool-c-vols", "/kvmpool-c-vols", &pspec));
    REQUIRE_OK(kvmpool_pool_define(conn, pspec, &pool));
    REQUIRE_OK(kvmpool_pool_start(pool));

    uint64_t cap = 0;
    CHECK_OK(kvmpool_size_parse("10G", &cap));
    CHECK(cap == 10ull << 30);
    REQUIRE_OK(kvmpool_vol_spec_new("vm1.qcow2", cap, &vspec));
    CHECK_OK(kvmpool_vol_spec_set_format(vspec, "qcow2"));
    CHECK_OK(kvmpool_vol_spec_set_permissions(vspec, 0600, 107, 107, NULL));
    CHECK_OK(kvmpool_vol_spec_set_compat(vspec, "1.1"));
    CHECK_OK(kvmpool_vol_spec_add_feature(vspec, "lazy_refcounts"));
    CHECK_OK(kvmpool_vol_spec_set_cluster_size(vspec, 65536));
    CHECK_OK(kvmpool_vol_spec_set_nocow(vspec, false));
    CHECK_OK(kvmpool_vol_spec_validate(vspec));
    CHECK_STATUS(kvmpool_vol_spec_set_format(vspec, "qcow3"), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STATUS(kvmpool_vol_spec_set_preallocation(vspec, 9), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STATUS(kvmpool_vol_spec_add_feature(vspec, "wings"), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STATUS(kvmpool_vol_spec_set_luks(vspec, "no-uuid"), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STATUS(kvmpool_vol_spec_set_capacity(vspec, UINT64_MAX), KVMPOOL_ERR_INVALID_SPEC);

    /* XML round trip of the spec. */
    char *xml = NULL;
    CHECK_OK(kvmpool_vol_spec_to_xml(vspec, &xml));
    CHECK(strstr(xml, "lazy_refcounts") != NULL);
    CHECK_OK(kvmpool_vol_spec_from_xml(xml, &copy));
    CHECK_OK(kvmpool_vol_spec_to_xml(copy, &s));
    CHECK_STREQ(s, xml);
    kvmpool_string_free(s);
    kvmpool_string_free(xml);

    REQUIRE_OK(kvmpool_vol_create(pool, vspec, &vol));
    kvmpool_vol_details info = {KVMPOOL_VOL_PLOOP, 0, 0};
    CHECK_OK(kvmpool_vol_info(vol, &info));
    CHECK(info.vol_type == KVMPOOL_VOL_FILE && info.capacity == cap);
    CHECK_OK(kvmpool_vol_name(vol, &s));
    CHECK_STREQ(take(s), "vm1.qcow2");
    CHECK_OK(kvmpool_vol_key(vol, &s));
    snprintf(key, sizeof key, "%s", take(s));
    CHECK_OK(kvmpool_vol_path(vol, &s));
    snprintf(path, sizeof path, "%s", take(s));
    CHECK_STREQ(path, "/kvmpool-c-vols/vm1.qcow2");
    CHECK_OK(kvmpool_vol_xml(vol, &s));
    CHECK(strstr(s, "vm1.qcow2") != NULL);
    kvmpool_string_free(s);
    CHECK_OK(kvmpool_vol_get_spec(vol, &got));
    CHECK_OK(kvmpool_vol_spec_to_xml(got, &s));
    CHECK(strstr(s, "qcow2") != NULL);
    kvmpool_string_free(s);
    kvmpool_vol_spec_free(got);
    CHECK_OK(kvmpool_vol_pool(vol, &other));
    CHECK_OK(kvmpool_pool_name(other, &s));
    CHECK_STREQ(take(s), "kvmpool-c-vols");
    kvmpool_pool_free(other);

    CHECK_OK(kvmpool_vol_lookup_by_key(conn, key, &byk));
    CHECK_OK(kvmpool_vol_name(byk, &s));
    CHECK_STREQ(take(s), "vm1.qcow2");
    CHECK_OK(kvmpool_vol_lookup_by_path(conn, path, &byp));
    CHECK_OK(kvmpool_vol_key(byp, &s));
    CHECK_STREQ(take(s), key);

    CHECK_OK(kvmpool_vol_clone(vol, "vm2.qcow2", false, &clone));
    CHECK_OK(kvmpool_vol_spec_set_name(copy, "vm3.qcow2"));
    CHECK_OK(kvmpool_vol_spec_set_capacity(copy, 0));
    CHECK_OK(kvmpool_vol_create_from(pool, copy, vol, &from));
    CHECK_OK(kvmpool_vol_info(from, &info));
    CHECK(info.capacity == cap);
    CHECK_STATUS(kvmpool_vol_clone(vol, "vm2.qcow2", false, &(kvmpool_vol *){NULL}),
                 KVMPOOL_ERR_ALREADY_EXISTS);
    CHECK_STATUS(kvmpool_vol_clone(vol, "a/b", false, &(kvmpool_vol *){NULL}),
                 KVMPOOL_ERR_INVALID_SPEC);

    kvmpool_vols *vols = NULL;
    kvmpool_strings *names = NULL;
    CHECK_OK(kvmpool_vol_list(pool, &vols));
    CHECK(kvmpool_vols_len(vols) == 3);
    if (kvmpool_vols_len(vols) == 3) {
        CHECK_OK(kvmpool_vol_name(kvmpool_vols_get(vols, 2), &s));
        CHECK_STREQ(take(s), "vm3.qcow2");
    }
    CHECK(kvmpool_vols_get(vols, 3) == NULL && kvmpool_vols_get(vols, SIZE_MAX) == NULL);
    kvmpool_vols_free(vols);
    CHECK_OK(kvmpool_vol_list_names(pool, &names));
    CHECK(kvmpool_strings_len(names) == 3 &&
          strcmp(kvmpool_strings_get(names, 0), "vm1.qcow2") == 0 &&
          strcmp(kvmpool_strings_get(names, 1), "vm2.qcow2") == 0);
    kvmpool_strings_free(names);

    /* A transient volume XML. */
    kvmpool_vol *fromxml = NULL;
    CHECK_OK(kvmpool_vol_create_xml(pool,
                                    "<volume><name>x.img</name><capacity>1048576</capacity>"
                                    "</volume>",
                                    &fromxml));
    CHECK_OK(kvmpool_vol_delete(fromxml, KVMPOOL_DELETE_NORMAL));
    kvmpool_vol_free(fromxml);

    char *json = NULL;
    CHECK_OK(kvmpool_conn_inventory_json(conn, true, &json));
    CHECK(json != NULL && strstr(json, "\"vm2.qcow2\"") != NULL);
    kvmpool_string_free(json);

    CHECK_OK(kvmpool_vol_delete(clone, KVMPOOL_DELETE_NORMAL));
    CHECK_OK(kvmpool_vol_delete(from, KVMPOOL_DELETE_NORMAL));
    CHECK_OK(kvmpool_vol_delete(vol, KVMPOOL_DELETE_NORMAL));
    CHECK_STATUS(kvmpool_vol_delete(byk, 5), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STATUS(kvmpool_vol_lookup(pool, "vm1.qcow2", &(kvmpool_vol *){NULL}),
                 KVMPOOL_ERR_NOT_FOUND);
    CHECK_OK(kvmpool_vol_list(pool, &vols));
    CHECK(vols != NULL && kvmpool_vols_len(vols) == 0 && kvmpool_vols_get(vols, 0) == NULL);
    kvmpool_vols_free(vols);

    CHECK_OK(kvmpool_pool_destroy(pool));
    CHECK_OK(kvmpool_pool_delete(pool, KVMPOOL_DELETE_NORMAL));
    CHECK_OK(kvmpool_pool_undefine(pool));
    kvmpool_vol_free(vol);
    kvmpool_vol_free(clone);
    kvmpool_vol_free(from);
    kvmpool_vol_free(byk);
    kvmpool_vol_free(byp);
    kvmpool_vol_spec_free(vspec);
    kvmpool_vol_spec_free(copy);
    kvmpool_pool_free(pool);
    kvmpool_pool_spec_free(pspec);
}

int main(void)
{
    REQUIRE_OK(kvmpool_connect("test:///default", &conn));
    char *uri = NULL;
    CHECK_OK(kvmpool_conn_uri(conn, &uri));
    CHECK_STREQ(take(uri), "test:///default");
    CHECK(kvmpool_conn_is_alive(conn));

    printf("pool types on test:///default:\n");
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        one_type(i);
    CHECK(sizeof types / sizeof types[0] == 14);
    setters_by_type();
    disk_pool_from_xml();
    transient_list_ensure_edit();
    volumes_on_the_test_driver();

    /* The read-only connection sees the same (shared) test driver state but changes
     * nothing. */
    kvmpool_conn *ro = NULL;
    kvmpool_pool *p = NULL;
    CHECK_OK(kvmpool_connect_read_only("test:///default", &ro));
    CHECK_OK(kvmpool_pool_lookup(ro, "default-pool", &p));
    kvmpool_pool_free(p);
    kvmpool_conn_free(ro);
    CHECK_OK(kvmpool_conn_reconnect(conn));
    kvmpool_conn_free(conn);
    return kt_finish("test_pool_types");
}
