/*
 * A small storage management agent on kvmpool's C API: make sure a directory pool
 * exists, is built, running and autostarted; create a volume in it if it is missing;
 * print the inventory of every pool (like `virsh pool-list --details` and
 * `virsh vol-list --details`).
 *
 *   cc agent.c $(pkg-config --cflags --libs kvmpool) -o agent
 *   ./agent [URI [POOL [TARGET [VOLUME [SIZE [FORMAT]]]]]]
 *
 * Each argument may be "-" for its default: libvirt's default URI, pool
 * "guest_images", target /var/lib/libvirt/images/POOL, volume "vm1.qcow2", size
 * "10G", format "qcow2". Running it again changes nothing. Exit status 0 on success,
 * 1 on failure (with kvmpool's error message on stderr).
 */
#include <stdio.h>
#include <string.h>

#include <kvmpool.h>

static const char *arg(int argc, char **argv, int i, const char *fallback)
{
    return i < argc && strcmp(argv[i], "-") != 0 ? argv[i] : fallback;
}

/* Report a failed call and say whether it failed. */
static int failed(kvmpool_status rc, const char *what)
{
    if (rc == KVMPOOL_OK)
        return 0;
    fprintf(stderr, "agent: %s: %s (%s", what, kvmpool_last_error_message(),
            kvmpool_status_name(rc));
    if (kvmpool_last_error_libvirt_code() > 0)
        fprintf(stderr, ", libvirt error %d", kvmpool_last_error_libvirt_code());
    fprintf(stderr, ")\n");
    return 1;
}

/* Bytes as virsh shows them: "38.28 GiB". */
static const char *human(uint64_t bytes, char *buf, size_t size)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 6) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, size, u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
    return buf;
}

static const char *state_name(kvmpool_pool_state state)
{
    switch (state) {
    case KVMPOOL_POOL_INACTIVE:
        return "inactive";
    case KVMPOOL_POOL_BUILDING:
        return "building";
    case KVMPOOL_POOL_RUNNING:
        return "running";
    case KVMPOOL_POOL_DEGRADED:
        return "degraded";
    case KVMPOOL_POOL_INACCESSIBLE:
        return "inaccessible";
    }
    return "unknown";
}

/* The pool exists, matches the spec, is built, running and autostarted. */
static int ensure_pool(kvmpool_conn *conn, const char *name, const char *target,
                       kvmpool_pool **pool)
{
    kvmpool_pool_spec *spec = NULL;
    if (failed(kvmpool_pool_spec_dir(name, target, &spec), "pool spec"))
        return 1;
    kvmpool_ensure_options options = kvmpool_ensure_options_default();
    options.autostart = 1;
    uint32_t changes = 0;
    kvmpool_status rc = kvmpool_pool_ensure(conn, spec, &options, pool, &changes);
    kvmpool_pool_spec_free(spec);
    if (failed(rc, "ensure pool"))
        return 1;
    if (changes == 0) {
        printf("pool %s: already as wanted\n", name);
    } else {
        printf("pool %s:%s%s%s%s%s\n", name,
               changes & KVMPOOL_ENSURED_DEFINED ? " defined" : "",
               changes & KVMPOOL_ENSURED_REDEFINED ? " redefined" : "",
               changes & KVMPOOL_ENSURED_BUILT ? " built" : "",
               changes & KVMPOOL_ENSURED_STARTED ? " started" : "",
               changes & KVMPOOL_ENSURED_AUTOSTART ? " autostarted" : "");
    }
    return 0;
}

/* The volume exists (created with `size` and `format` if it did not). */
static int ensure_volume(kvmpool_pool *pool, const char *name, const char *size,
                         const char *format)
{
    kvmpool_vol *vol = NULL;
    kvmpool_status rc = kvmpool_vol_lookup(pool, name, &vol);
    if (rc == KVMPOOL_OK) {
        printf("volume %s: already there\n", name);
        kvmpool_vol_free(vol);
        return 0;
    }
    if (rc != KVMPOOL_ERR_NOT_FOUND)
        return failed(rc, "look up the volume");

    uint64_t capacity = 0;
    kvmpool_vol_spec *spec = NULL;
    if (failed(kvmpool_size_parse(size, &capacity), "volume size") ||
        failed(kvmpool_vol_spec_new(name, capacity, &spec), "volume spec"))
        return 1;
    rc = kvmpool_vol_spec_set_format(spec, format);
    if (rc == KVMPOOL_OK)
        rc = kvmpool_vol_create(pool, spec, &vol);
    kvmpool_vol_spec_free(spec);
    if (failed(rc, "create the volume"))
        return 1;
    char *path = NULL;
    if (failed(kvmpool_vol_path(vol, &path), "volume path")) {
        kvmpool_vol_free(vol);
        return 1;
    }
    printf("volume %s: created, %s, at %s\n", name, size, path);
    kvmpool_string_free(path);
    kvmpool_vol_free(vol);
    return 0;
}

static int print_volumes(const kvmpool_pool *pool)
{
    kvmpool_vols *vols = NULL;
    if (failed(kvmpool_vol_list(pool, &vols), "list volumes"))
        return 1;
    int rc = 0;
    for (size_t i = 0; i < kvmpool_vols_len(vols) && rc == 0; i++) {
        const kvmpool_vol *vol = kvmpool_vols_get(vols, i);
        char *name = NULL, *path = NULL, cap[32], alloc[32];
        kvmpool_vol_details info;
        if (failed(kvmpool_vol_name(vol, &name), "volume name") ||
            failed(kvmpool_vol_path(vol, &path), "volume path") ||
            failed(kvmpool_vol_info(vol, &info), "volume info")) {
            rc = 1;
        } else {
            printf("    %-20s %-50s %12s %12s\n", name, path,
                   human(info.capacity, cap, sizeof cap),
                   human(info.allocation, alloc, sizeof alloc));
        }
        kvmpool_string_free(name);
        kvmpool_string_free(path);
    }
    kvmpool_vols_free(vols);
    return rc;
}

/* `virsh pool-list --all --details`, with each running pool's volumes. */
static int print_inventory(kvmpool_conn *conn)
{
    kvmpool_pools *pools = NULL;
    if (failed(kvmpool_pool_list(conn, 0, &pools), "list pools"))
        return 1;
    printf("%-24s %-10s %-9s %-10s %12s %12s %12s\n", "Name", "State", "Autostart",
           "Persistent", "Capacity", "Allocation", "Available");
    int rc = 0;
    for (size_t i = 0; i < kvmpool_pools_len(pools) && rc == 0; i++) {
        const kvmpool_pool *pool = kvmpool_pools_get(pools, i);
        char *name = NULL, cap[32], alloc[32], avail[32];
        kvmpool_pool_details info;
        bool autostart = false, persistent = false;
        if (failed(kvmpool_pool_name(pool, &name), "pool name") ||
            failed(kvmpool_pool_info(pool, &info), "pool info") ||
            failed(kvmpool_pool_autostart(pool, &autostart), "pool autostart") ||
            failed(kvmpool_pool_is_persistent(pool, &persistent), "pool persistence")) {
            rc = 1;
        } else {
            printf("%-24s %-10s %-9s %-10s %12s %12s %12s\n", name, state_name(info.state),
                   autostart ? "yes" : "no", persistent ? "yes" : "no",
                   human(info.capacity, cap, sizeof cap),
                   human(info.allocation, alloc, sizeof alloc),
                   human(info.available, avail, sizeof avail));
            if (info.state == KVMPOOL_POOL_RUNNING)
                rc = print_volumes(pool);
        }
        kvmpool_string_free(name);
    }
    kvmpool_pools_free(pools);
    return rc;
}

int main(int argc, char **argv)
{
    const char *uri = arg(argc, argv, 1, NULL);
    const char *pool_name = arg(argc, argv, 2, "guest_images");
    const char *target = arg(argc, argv, 3, NULL);
    const char *vol_name = arg(argc, argv, 4, "vm1.qcow2");
    const char *size = arg(argc, argv, 5, "10G");
    const char *format = arg(argc, argv, 6, "qcow2");

    if (strcmp(kvmpool_version(), KVMPOOL_VERSION) != 0)
        fprintf(stderr, "agent: built against kvmpool %s, running with %s\n", KVMPOOL_VERSION,
                kvmpool_version());

    kvmpool_conn *conn = NULL;
    if (failed(kvmpool_connect(uri, &conn), "connect"))
        return 1;
    kvmpool_pool *pool = NULL;
    int rc = ensure_pool(conn, pool_name, target, &pool);
    if (rc == 0)
        rc = ensure_volume(pool, vol_name, size, format);
    if (rc == 0)
        rc = print_inventory(conn);
    kvmpool_pool_free(pool);
    kvmpool_conn_free(conn);
    return rc;
}
