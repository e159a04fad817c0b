/*
 * The tutorial's walk-through ("KVM storage pools with virsh", ../shared/TUTORIAL.md)
 * through the C API on a real daemon: look around, a directory pool defined, built,
 * started and autostarted, volumes created, uploaded, downloaded (plain, sparse, at
 * an offset), cloned, created from another, resized, wiped and deleted, with the
 * bytes compared; transfers cancelled from the progress callback; then the pool
 * destroyed, deleted and undefined. Needs KVMPOOL_TEST_URI (prints SKIPPED without
 * it); files and the pool's target go under KVMPOOL_TEST_DIR.
 */
#include "kvmpool_test.h"

#define MiB (1024ull * 1024ull)

static kvmpool_conn *conn;
static char scratch[1024];
static char buf[8192];

static const char *take(char *s)
{
    return kt_take(s, buf, sizeof buf);
}

static const char *in_scratch(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", scratch, name);
    return out;
}

/* Progress callback state. */
struct progress {
    int calls;
    uint64_t last_done, total;
    int monotonic;
    uint64_t cancel_after; /* cancel once done >= this (0: never) */
};

static int on_progress(uint64_t done, uint64_t total, void *userdata)
{
    struct progress *p = userdata;
    if (p->calls > 0 && done < p->last_done)
        p->monotonic = 0;
    p->calls++;
    p->last_done = done;
    p->total = total;
    return p->cancel_after != 0 && done >= p->cancel_after;
}

static kvmpool_vol *create_vol(kvmpool_pool *pool, const char *name, uint64_t capacity,
                               const char *format)
{
    kvmpool_vol_spec *spec = NULL;
    kvmpool_vol *vol = NULL;
    REQUIRE_OK(kvmpool_vol_spec_new(name, capacity, &spec));
    CHECK_OK(kvmpool_vol_spec_set_format(spec, format));
    REQUIRE_OK(kvmpool_vol_create(pool, spec, &vol));
    kvmpool_vol_spec_free(spec);
    return vol;
}

/* Step 1: `virsh pool-list --details`, `pool-info`, `vol-list`. */
static void look_around(void)
{
    kvmpool_pools *pools = NULL;
    CHECK_OK(kvmpool_pool_list(conn, 0, &pools));
    size_t n = kvmpool_pools_len(pools);
    printf("step 1: %zu pool(s) before the walk-through\n", n);
    for (size_t i = 0; i < n; i++) {
        kvmpool_pool_details info;
        char *name = NULL;
        CHECK_OK(kvmpool_pool_name(kvmpool_pools_get(pools, i), &name));
        CHECK_OK(kvmpool_pool_info(kvmpool_pools_get(pools, i), &info));
        printf("  %s: state %u, capacity %llu\n", take(name), (unsigned)info.state,
               (unsigned long long)info.capacity);
    }
    CHECK(kvmpool_pools_get(pools, n) == NULL);
    kvmpool_pools_free(pools);
}

int main(void)
{
    const char *uri = kt_live_uri("tutorial walk-through on a real daemon");
    if (uri == NULL) {
        printf("PASS: test_tutorial: 0 checks (live part skipped, see SKIPPED above)\n");
        return 0;
    }
    kt_scratch(scratch, sizeof scratch, "tutorial");
    REQUIRE_OK(kvmpool_connect(uri, &conn));
    look_around();

    char name[64], target[1200], path[1200], path2[1300], out[1200];
    snprintf(name, sizeof name, "kvmpool-c-tutorial-%ld", (long)getpid());
    in_scratch(target, sizeof target, "guest_images");

    /* Step 2: pool-define-as NAME dir --target DIR; pool-list --all shows it inactive,
     * autostart no; pool-build, pool-start, pool-autostart. */
    kvmpool_pool_spec *spec = NULL;
    kvmpool_pool *pool = NULL;
    REQUIRE_OK(kvmpool_pool_spec_dir(name, target, &spec));
    REQUIRE_OK(kvmpool_pool_define(conn, spec, &pool));
    kvmpool_pools *pools = NULL;
    size_t n = 0;
    int listed = 0;
    CHECK_OK(kvmpool_pool_list(conn, KVMPOOL_LIST_INACTIVE, &pools));
    n = kvmpool_pools_len(pools);
    for (size_t i = 0; i < n; i++) {
        char *s = NULL;
        CHECK_OK(kvmpool_pool_name(kvmpool_pools_get(pools, i), &s));
        listed |= strcmp(take(s), name) == 0;
    }
    kvmpool_pools_free(pools);
    CHECK(listed);
    bool b = true;
    CHECK_OK(kvmpool_pool_autostart(pool, &b));
    CHECK(!b);
    CHECK(!kt_exists(target));
    CHECK_OK(kvmpool_pool_build(pool, KVMPOOL_BUILD_NORMAL));
    CHECK(kt_exists(target));
    CHECK_OK(kvmpool_pool_start(pool));
    CHECK_OK(kvmpool_pool_set_autostart(pool, true));
    CHECK_OK(kvmpool_pool_autostart(pool, &b));
    CHECK(b);
    kvmpool_pool_details pinfo;
    CHECK_OK(kvmpool_pool_info(pool, &pinfo));
    CHECK(pinfo.state == KVMPOOL_POOL_RUNNING && pinfo.capacity > 0);
    printf("step 2: pool %s running at %s, %llu bytes available\n", name, target,
           (unsigned long long)pinfo.available);

    /* pool-uuid, pool-name, pool-dumpxml, look-ups. */
    char uuid[64];
    char *s = NULL;
    kvmpool_pool *same = NULL;
    CHECK_OK(kvmpool_pool_uuid(pool, &s));
    snprintf(uuid, sizeof uuid, "%s", take(s));
    CHECK_OK(kvmpool_pool_lookup_by_uuid(conn, uuid, &same));
    CHECK_OK(kvmpool_pool_name(same, &s));
    CHECK_STREQ(take(s), name);
    kvmpool_pool_free(same);
    same = NULL;
    CHECK_OK(kvmpool_pool_lookup_by_target_path(conn, target, &same));
    CHECK_OK(kvmpool_pool_uuid(same, &s));
    CHECK_STREQ(take(s), uuid);
    kvmpool_pool_free(same);
    kvmpool_pool_spec *live = NULL;
    CHECK_OK(kvmpool_pool_get_spec(pool, &live));
    CHECK_OK(kvmpool_pool_spec_target_path(live, &s));
    CHECK_STREQ(take(s), target);
    kvmpool_pool_spec_free(live);
    CHECK_OK(kvmpool_pool_xml_inactive(pool, &s));
    CHECK(strstr(s, uuid) != NULL);
    kvmpool_string_free(s);

    /* vol-create-as NAME vm1.qcow2 1G --format qcow2 */
    kvmpool_vol *qcow = create_vol(pool, "vm1.qcow2", 1ull << 30, "qcow2");
    kvmpool_vol_details vinfo;
    CHECK_OK(kvmpool_vol_info(qcow, &vinfo));
    CHECK(vinfo.vol_type == KVMPOOL_VOL_FILE && vinfo.capacity == 1ull << 30);
    CHECK(vinfo.allocation < vinfo.capacity);
    CHECK_OK(kvmpool_vol_path(qcow, &s));
    snprintf(path, sizeof path, "%s", take(s));
    snprintf(path2, sizeof path2, "%s/vm1.qcow2", target);
    CHECK_STREQ(path, path2);
    CHECK(kt_exists(path));
    kvmpool_vol *byp = NULL, *byk = NULL;
    CHECK_OK(kvmpool_vol_lookup_by_path(conn, path, &byp));
    CHECK_OK(kvmpool_vol_key(byp, &s));
    char key[1200];
    snprintf(key, sizeof key, "%s", take(s));
    CHECK_OK(kvmpool_vol_lookup_by_key(conn, key, &byk));
    CHECK_OK(kvmpool_vol_name(byk, &s));
    CHECK_STREQ(take(s), "vm1.qcow2");
    kvmpool_pool *owner = NULL;
    CHECK_OK(kvmpool_vol_pool(byk, &owner));
    CHECK_OK(kvmpool_pool_name(owner, &s));
    CHECK_STREQ(take(s), name);
    kvmpool_pool_free(owner);
    kvmpool_vol_free(byp);
    kvmpool_vol_free(byk);
    uint64_t physical = 0;
    CHECK_OK(kvmpool_vol_physical(qcow, &physical));
    CHECK(physical > 0);

    /* vol-upload / vol-download of a raw volume, bytes compared. */
    char data[1200];
    in_scratch(data, sizeof data, "disk.raw");
    CHECK(kt_write_at(data, 0, 8 * MiB, 42) == 0);
    kvmpool_vol *raw = create_vol(pool, "disk.raw", 8 * MiB, "raw");
    struct progress up = {0, 0, 0, 1, 0};
    CHECK_OK(kvmpool_vol_upload_file(raw, data, 0, 0, false, on_progress, &up));
    CHECK(up.calls > 2 && up.monotonic && up.last_done == 8 * MiB && up.total == 8 * MiB);
    in_scratch(out, sizeof out, "download.raw");
    struct progress down = {0, 0, 0, 1, 0};
    CHECK_OK(kvmpool_vol_download_file(raw, out, 0, 0, false, on_progress, &down));
    CHECK(down.calls > 2 && down.last_done == 8 * MiB);
    CHECK(kt_same_file(data, out));
    printf("upload/download: 8 MiB round trip equal (%d and %d progress calls)\n", up.calls,
           down.calls);

    /* Offset and length: 4 KiB of another file at 1 MiB, read back alone. */
    char patch[1200], patch_out[1200];
    in_scratch(patch, sizeof patch, "patch.bin");
    CHECK(kt_write_at(patch, 0, 65536, 7) == 0);
    CHECK_OK(kvmpool_vol_upload_file(raw, patch, 1 * MiB, 4096, false, NULL, NULL));
    in_scratch(patch_out, sizeof patch_out, "patch.out");
    CHECK_OK(kvmpool_vol_download_file(raw, patch_out, 1 * MiB, 4096, false, NULL, NULL));
    CHECK(kt_file_size(patch_out) == 4096);
    CHECK(kt_same_bytes(patch, 0, patch_out, 0, 4096));
    /* Too long for the volume: refused before anything is sent. */
    CHECK_STATUS(kvmpool_vol_upload_file(raw, data, 4 * MiB, 0, false, NULL, NULL),
                 KVMPOOL_ERR_INVALID_SPEC);

    /* Sparse: 16 MiB holding 2 MiB of data; holes stay holes both ways. */
    char sparse[1200], sparse_out[1200];
    in_scratch(sparse, sizeof sparse, "sparse.raw");
    CHECK(kt_write_at(sparse, 0, 1 * MiB, 1) == 0);
    CHECK(kt_write_at(sparse, 8 * MiB, 1 * MiB, 2) == 0);
    CHECK(kt_set_len(sparse, 16 * MiB) == 0);
    kvmpool_vol *sp = create_vol(pool, "sparse.raw", 16 * MiB, "raw");
    CHECK_OK(kvmpool_vol_upload_file(sp, sparse, 0, 0, true, NULL, NULL));
    CHECK_OK(kvmpool_vol_info(sp, &vinfo));
    CHECK(vinfo.capacity == 16 * MiB && vinfo.allocation < 8 * MiB);
    printf("sparse upload: capacity %llu, allocation %llu\n",
           (unsigned long long)vinfo.capacity, (unsigned long long)vinfo.allocation);
    in_scratch(sparse_out, sizeof sparse_out, "sparse.out");
    CHECK_OK(kvmpool_vol_download_file(sp, sparse_out, 0, 0, true, NULL, NULL));
    CHECK(kt_same_file(sparse, sparse_out));

    /* Cancelled from the progress callback, part-way: the upload stops with
     * KVMPOOL_ERR_CANCELLED, the download leaves no file behind. */
    struct progress stop = {0, 0, 0, 1, 1 * MiB};
    CHECK_STATUS(kvmpool_vol_upload_file(raw, data, 0, 0, false, on_progress, &stop),
                 KVMPOOL_ERR_CANCELLED);
    CHECK(stop.last_done >= 1 * MiB && stop.last_done < 8 * MiB);
    CHECK(strstr(kvmpool_last_error_message(), "cancel") != NULL);
    printf("cancelled upload: %s\n", kvmpool_last_error_message());
    char cancelled_out[1200];
    in_scratch(cancelled_out, sizeof cancelled_out, "cancelled.out");
    struct progress stop2 = {0, 0, 0, 1, 1 * MiB};
    CHECK_STATUS(kvmpool_vol_download_file(raw, cancelled_out, 0, 0, false, on_progress, &stop2),
                 KVMPOOL_ERR_CANCELLED);
    CHECK(!kt_exists(cancelled_out));
    CHECK(stop2.last_done >= 1 * MiB && stop2.last_done < 8 * MiB);
    /* The upload is complete again after a full run. */
    CHECK_OK(kvmpool_vol_upload_file(raw, data, 0, 0, false, NULL, NULL));

    /* vol-clone and vol-create-from, compared byte for byte. */
    kvmpool_vol *clone = NULL, *from = NULL;
    CHECK_OK(kvmpool_vol_clone(raw, "clone.raw", false, &clone));
    in_scratch(out, sizeof out, "clone.out");
    CHECK_OK(kvmpool_vol_download_file(clone, out, 0, 0, false, NULL, NULL));
    CHECK(kt_same_file(data, out));
    kvmpool_vol_spec *fspec = NULL;
    CHECK_OK(kvmpool_vol_spec_new("from.raw", 0, &fspec));
    CHECK_OK(kvmpool_vol_spec_set_format(fspec, "raw"));
    CHECK_OK(kvmpool_vol_create_from(pool, fspec, raw, &from));
    kvmpool_vol_spec_free(fspec);
    CHECK_OK(kvmpool_vol_info(from, &vinfo));
    CHECK(vinfo.capacity == 8 * MiB);
    in_scratch(out, sizeof out, "from.out");
    CHECK_OK(kvmpool_vol_download_file(from, out, 0, 0, false, NULL, NULL));
    CHECK(kt_same_file(data, out));

    /* vol-resize: grow, grow by a delta, shrink. */
    CHECK_OK(kvmpool_vol_resize(clone, 16 * MiB, 0));
    CHECK_OK(kvmpool_vol_info(clone, &vinfo));
    CHECK(vinfo.capacity == 16 * MiB);
    CHECK_OK(kvmpool_vol_resize(clone, 4 * MiB, KVMPOOL_RESIZE_DELTA));
    CHECK_OK(kvmpool_vol_info(clone, &vinfo));
    CHECK(vinfo.capacity == 20 * MiB);
    /* libvirt refuses with VIR_ERR_INVALID_ARG (8), an invalid argument. */
    CHECK_STATUS(kvmpool_vol_resize(clone, 12 * MiB, 0), KVMPOOL_ERR_INVALID_SPEC);
    CHECK(kvmpool_last_error_libvirt_code() == 8);
    printf("shrink without the flag: %s\n", kvmpool_last_error_message());
    CHECK_OK(kvmpool_vol_resize(clone, 12 * MiB, KVMPOOL_RESIZE_SHRINK));
    CHECK_OK(kvmpool_vol_info(clone, &vinfo));
    CHECK(vinfo.capacity == 12 * MiB);
    CHECK_STATUS(kvmpool_vol_resize(clone, 1, 64), KVMPOOL_ERR_INVALID_SPEC);

    /* vol-wipe: zeros. */
    CHECK_OK(kvmpool_vol_wipe(from, "zero"));
    in_scratch(out, sizeof out, "wiped.out");
    CHECK_OK(kvmpool_vol_download_file(from, out, 0, 0, false, NULL, NULL));
    CHECK(kt_file_size(out) == (long long)(8 * MiB) && kt_all_zero(out, 0, 8 * MiB));
    CHECK_STATUS(kvmpool_vol_wipe(from, "shred"), KVMPOOL_ERR_INVALID_SPEC);

    /* vol-list, then vol-delete of everything. */
    kvmpool_strings *names = NULL;
    CHECK_OK(kvmpool_vol_list_names(pool, &names));
    n = kvmpool_strings_len(names);
    CHECK(n == 5);
    if (n == 5) {
        CHECK_STREQ(kvmpool_strings_get(names, 0), "clone.raw");
        CHECK_STREQ(kvmpool_strings_get(names, 1), "disk.raw");
        CHECK_STREQ(kvmpool_strings_get(names, 2), "from.raw");
        CHECK_STREQ(kvmpool_strings_get(names, 3), "sparse.raw");
        CHECK_STREQ(kvmpool_strings_get(names, 4), "vm1.qcow2");
    }
    CHECK(kvmpool_strings_get(names, n) == NULL);
    kvmpool_strings_free(names);
    kvmpool_vols *vols = NULL;
    CHECK_OK(kvmpool_vol_list(pool, &vols));
    n = kvmpool_vols_len(vols);
    CHECK(n == 5);
    for (size_t i = 0; i < n; i++)
        CHECK_OK(kvmpool_vol_delete(kvmpool_vols_get(vols, i), KVMPOOL_DELETE_NORMAL));
    kvmpool_vols_free(vols);
    CHECK_OK(kvmpool_pool_refresh(pool));
    CHECK_OK(kvmpool_vol_list(pool, &vols));
    CHECK(kvmpool_vols_len(vols) == 0);
    kvmpool_vols_free(vols);
    CHECK_STATUS(kvmpool_vol_lookup(pool, "vm1.qcow2", &(kvmpool_vol *){NULL}),
                 KVMPOOL_ERR_NOT_FOUND);
    kvmpool_vol_free(qcow);
    kvmpool_vol_free(raw);
    kvmpool_vol_free(sp);
    kvmpool_vol_free(clone);
    kvmpool_vol_free(from);

    /* A transient pool with --build (the test driver lacks it). */
    kvmpool_pool_spec *tspec = NULL;
    kvmpool_pool *tpool = NULL;
    char ttarget[1200], tname[80];
    snprintf(tname, sizeof tname, "%s-transient", name);
    in_scratch(ttarget, sizeof ttarget, "transient");
    REQUIRE_OK(kvmpool_pool_spec_dir(tname, ttarget, &tspec));
    CHECK_OK(kvmpool_pool_create_with_build(conn, tspec, KVMPOOL_BUILD_NORMAL, &tpool));
    CHECK(kt_exists(ttarget));
    CHECK_STATUS(kvmpool_pool_set_autostart(tpool, true), KVMPOOL_ERR_LIBVIRT);
    CHECK_OK(kvmpool_pool_destroy(tpool));
    kvmpool_pool_free(tpool);
    kvmpool_pool_spec_free(tspec);

    /* pool-destroy, pool-delete (removes the directory), pool-undefine. */
    CHECK_OK(kvmpool_pool_destroy(pool));
    CHECK_OK(kvmpool_pool_info(pool, &pinfo));
    CHECK(pinfo.state == KVMPOOL_POOL_INACTIVE);
    CHECK_STATUS(kvmpool_vol_list(pool, &vols), KVMPOOL_ERR_STATE);
    CHECK_OK(kvmpool_pool_delete(pool, KVMPOOL_DELETE_NORMAL));
    CHECK(!kt_exists(target));
    CHECK_OK(kvmpool_pool_set_autostart(pool, false));
    CHECK_OK(kvmpool_pool_undefine(pool));
    CHECK_STATUS(kvmpool_pool_lookup(conn, name, &(kvmpool_pool *){NULL}), KVMPOOL_ERR_NOT_FOUND);
    kvmpool_pool_free(pool);
    kvmpool_pool_spec_free(spec);
    kvmpool_conn_free(conn);
    kt_rmtree(scratch);
    return kt_finish("test_tutorial");
}
