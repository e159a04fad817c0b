/*
 * Bad input from C, table-driven: every case of tests/bad_input/cases.json (the same
 * table tests/bad_input.rs and tests/python/test_bad_input.py read; its README.md
 * describes the schema), read with the small JSON reader of kvmpool_json.h.
 *
 * For each case: KVMPOOL_ERR_INVALID_SPEC naming the field (kvmpool_last_error_field)
 * with the reason in the message, or a round trip that keeps XML-special characters as
 * text; never KVMPOOL_ERR_PANIC; each case within the table's time budget; and on
 * test:///default, defining or creating from the bad spec or XML leaves no pool and no
 * volume behind.
 *
 * Then what only C has: NULL and many kinds of invalid UTF-8 for every string argument
 * of every spec constructor and setter (test_errors.c checks the status for one bad
 * string; here each must also name the argument as the field, leave the out-parameter
 * alone and leave the spec unchanged).
 */
#include "kvmpool_test.h"
#include "kvmpool_json.h"

#include <time.h>

#ifndef KT_SOURCE_DIR
#define KT_SOURCE_DIR "."
#endif

/* --- values of the table: a string, or a compact description of a large one ------- */

typedef struct {
    char *s;
    size_t len, cap;
} buf;

static void bput(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *bigger = realloc(b->s, cap);
        if (bigger == NULL) {
            fprintf(stderr, "FATAL: out of memory\n");
            exit(1);
        }
        b->s = bigger;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void value_into(buf *b, const jv *v)
{
    if (v == NULL)
        return;
    if (v->t == J_STR) {
        bput(b, v->s, v->len);
        return;
    }
    const jv *rep = jget(v, "repeat"), *cat = jget(v, "concat"), *num = jget(v, "numbered");
    if (rep != NULL) {
        long long times = jnum(v, "times", 0);
        for (long long i = 0; i < times; i++)
            bput(b, rep->s, rep->len);
    } else if (cat != NULL) {
        for (size_t i = 0; i < cat->n; i++)
            value_into(b, cat->items[i]);
    } else if (num != NULL) {
        long long count = jnum(v, "count", 0);
        const char *hole = strstr(num->s, "{}");
        for (long long i = 0; i < count; i++) {
            char digits[32];
            int nd = snprintf(digits, sizeof digits, "%lld", i);
            if (hole == NULL) {
                bput(b, num->s, num->len);
                continue;
            }
            bput(b, num->s, (size_t)(hole - num->s));
            bput(b, digits, (size_t)nd);
            bput(b, hole + 2, num->len - (size_t)(hole - num->s) - 2);
        }
    } else {
        fprintf(stderr, "FATAL: unknown value form in the table\n");
        exit(1);
    }
}

/* The value as a new string (free it); *len_out counts NUL bytes inside it. */
static char *value(const jv *v, size_t *len_out)
{
    buf b = {0};
    bput(&b, "", 0);
    value_into(&b, v);
    if (len_out)
        *len_out = b.len;
    return b.s;
}

static char *field_value(const jv *fields, const char *key)
{
    const jv *v = jget(fields, key);
    return v == NULL ? NULL : value(v, NULL);
}

/* --- the table --------------------------------------------------------------------- */

static jv *doc;
static double budget_s;
static int cases_run, cases_skipped;
static double slowest_s;
static char slowest_id[256];

/* This thread's CPU time: the budget is about the work a case costs, not about how busy
 * the machine is with other builds and tests. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *current_note; /* the note of the case being run, for messages */

static void timed(const char *cid, const char *what, double seconds)
{
    if (seconds > slowest_s) {
        slowest_s = seconds;
        snprintf(slowest_id, sizeof slowest_id, "%s (%s)", cid, what);
    }
    kt_checks++;
    if (seconds > budget_s) {
        kt_failed++;
        fprintf(stderr, "FAILED: %s: %s took %.1f ms, more than the %.0f ms budget%s%s%s\n", cid,
                what, seconds * 1000, budget_s * 1000, current_note ? " [" : "",
                current_note ? current_note : "", current_note ? "]" : "");
    }
}

static void load_table(void)
{
    const char *dir = getenv("KVMPOOL_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/bad_input/cases.json", dir && *dir ? dir : KT_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "FATAL: %s: %s (run from the repository root)\n", path, strerror(errno));
        exit(1);
    }
    buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        bput(&b, chunk, n);
    fclose(f);
    jparser j = {b.s, b.s + b.len, NULL};
    doc = jparse(&j);
    free(b.s);
    if (doc == NULL || jget(doc, "cases") == NULL) {
        fprintf(stderr, "FATAL: %s: %s\n", path, j.err ? j.err : "no cases");
        exit(1);
    }
    budget_s = (double)jnum(doc, "budget_ms", 100) / 1000.0;
    /* valgrind runs code some 50 times slower: there the budget says nothing. */
    if (getenv("KVMPOOL_UNDER_VALGRIND") != NULL)
        budget_s *= 50;
}

/* --- building what a case describes -------------------------------------------------- */

/* The first failing status of building a pool spec of `type` from `fields`; the spec
 * (when every step succeeded) in *out. */
static kvmpool_status build_pool(const char *type, const jv *fields, kvmpool_pool_spec **out)
{
    char *name = field_value(fields, "name"), *target = field_value(fields, "target");
    char *host = field_value(fields, "host"), *iqn = field_value(fields, "iqn");
    char *ini = field_value(fields, "initiator"), *a = NULL, *b = NULL;
    const jv *hosts = jget(fields, "hosts");
    kvmpool_pool_spec *s = NULL;
    kvmpool_status rc;
    const char *nm = name ? name : "";
#define F(k) (a = field_value(fields, k))
#define G(k) (b = field_value(fields, k))
    if (strcmp(type, "dir") == 0) {
        rc = kvmpool_pool_spec_dir(nm, target, &s);
    } else if (strcmp(type, "fs") == 0) {
        rc = kvmpool_pool_spec_fs(nm, F("source_dev") ? a : "", target, &s);
    } else if (strcmp(type, "netfs") == 0) {
        rc = kvmpool_pool_spec_netfs(nm, host ? host : "", F("source_path") ? a : "", target, &s);
    } else if (strcmp(type, "logical") == 0) {
        rc = kvmpool_pool_spec_logical(nm, F("vg"), &s);
    } else if (strcmp(type, "disk") == 0) {
        rc = kvmpool_pool_spec_disk(nm, F("device") ? a : "", &s);
    } else if (strcmp(type, "iscsi") == 0) {
        rc = kvmpool_pool_spec_iscsi(nm, host ? host : "", iqn ? iqn : "", &s);
    } else if (strcmp(type, "iscsi-direct") == 0) {
        rc = kvmpool_pool_spec_iscsi_direct(nm, host ? host : "", iqn ? iqn : "", ini ? ini : "", &s);
    } else if (strcmp(type, "scsi") == 0) {
        rc = kvmpool_pool_spec_scsi(nm, F("adapter") ? a : "", &s);
    } else if (strcmp(type, "mpath") == 0) {
        rc = kvmpool_pool_spec_mpath(nm, &s);
    } else if (strcmp(type, "rbd") == 0) {
        char *first = hosts && hosts->n ? value(hosts->items[0], NULL) : NULL;
        rc = kvmpool_pool_spec_rbd(nm, first ? first : "", F("source_name") ? a : "", &s);
        free(first);
    } else if (strcmp(type, "sheepdog") == 0) {
        rc = kvmpool_pool_spec_sheepdog(nm, host ? host : "", &s);
    } else if (strcmp(type, "gluster") == 0) {
        rc = kvmpool_pool_spec_gluster(nm, host ? host : "", F("volume") ? a : "", &s);
    } else if (strcmp(type, "zfs") == 0) {
        rc = kvmpool_pool_spec_zfs(nm, F("zpool"), &s);
    } else if (strcmp(type, "vstorage") == 0) {
        rc = kvmpool_pool_spec_vstorage(nm, F("cluster") ? a : "", target ? target : "", &s);
    } else {
        fprintf(stderr, "FATAL: the table has a pool type this test does not know: %s\n", type);
        exit(1);
    }
    free(a);
    a = NULL;
    int typed_target = strcmp(type, "disk") == 0 || strcmp(type, "iscsi") == 0 ||
                       strcmp(type, "scsi") == 0 || strcmp(type, "mpath") == 0;
    if (rc == KVMPOOL_OK && typed_target && target != NULL)
        rc = kvmpool_pool_spec_set_target(s, target);
    if (rc == KVMPOOL_OK && hosts != NULL)
        for (size_t i = 1; rc == KVMPOOL_OK && i < hosts->n; i++) {
            char *h = value(hosts->items[i], NULL);
            rc = kvmpool_pool_spec_add_host(s, h, 0);
            free(h);
        }
    if (rc == KVMPOOL_OK && F("format"))
        rc = kvmpool_pool_spec_set_format(s, a);
    free(a);
    a = NULL;
    if (rc == KVMPOOL_OK && jget(fields, "port"))
        rc = kvmpool_pool_spec_set_port(s, (uint16_t)jnum(fields, "port", 0));
    const jv *list = jget(fields, "devices");
    for (size_t i = 0; rc == KVMPOOL_OK && list && i < list->n; i++) {
        char *d = value(list->items[i], NULL);
        rc = kvmpool_pool_spec_add_device(s, d);
        free(d);
    }
    list = jget(fields, "mount_options");
    for (size_t i = 0; rc == KVMPOOL_OK && list && i < list->n; i++) {
        char *o = value(list->items[i], NULL);
        rc = kvmpool_pool_spec_add_mount_option(s, o);
        free(o);
    }
    list = jget(fields, "config_options");
    for (size_t i = 0; rc == KVMPOOL_OK && list && i < list->n; i++) {
        char *k = value(list->items[i]->items[0], NULL), *v = value(list->items[i]->items[1], NULL);
        rc = kvmpool_pool_spec_add_config_option(s, k, v);
        free(k);
        free(v);
    }
    if (rc == KVMPOOL_OK && F("protocol_version"))
        rc = kvmpool_pool_spec_set_protocol_version(s, a);
    free(a);
    a = NULL;
    if (rc == KVMPOOL_OK && ini != NULL && strcmp(type, "iscsi") == 0)
        rc = kvmpool_pool_spec_set_initiator(s, ini);
    if (rc == KVMPOOL_OK && F("auth_username")) {
        char *kind = field_value(fields, "auth_type");
        char *usage = field_value(fields, "auth_secret_usage");
        rc = kvmpool_pool_spec_set_auth(s, kind, a, NULL, usage ? usage : "");
        free(kind);
        free(usage);
    }
    free(a);
    a = NULL;
    if (rc == KVMPOOL_OK && F("vendor"))
        rc = kvmpool_pool_spec_set_vendor(s, a);
    free(a);
    a = NULL;
    if (rc == KVMPOOL_OK && F("product"))
        rc = kvmpool_pool_spec_set_product(s, a);
    free(a);
    a = NULL;
    if (rc == KVMPOOL_OK && strcmp(type, "sheepdog") == 0 && F("source_name"))
        rc = kvmpool_pool_spec_set_source_name(s, a);
    free(a);
    a = NULL;
    if (rc == KVMPOOL_OK && F("dir"))
        rc = kvmpool_pool_spec_set_source_dir(s, a);
    free(a);
    a = NULL;
    if (rc == KVMPOOL_OK && (G("label") || jget(fields, "mode")))
        rc = kvmpool_pool_spec_set_permissions(s, (int32_t)jnum(fields, "mode", -1), -1, -1, b);
    free(b);
#undef F
#undef G
    free(name);
    free(target);
    free(host);
    free(iqn);
    free(ini);
    if (rc != KVMPOOL_OK) {
        kvmpool_pool_spec_free(s);
        return rc;
    }
    *out = s;
    return KVMPOOL_OK;
}

static kvmpool_status build_volume(const jv *fields, kvmpool_vol_spec **out)
{
    char *name = field_value(fields, "name"), *cap = field_value(fields, "capacity"), *a = NULL;
    kvmpool_vol_spec *s = NULL;
    uint64_t bytes = 0;
    kvmpool_status rc = kvmpool_size_parse(cap ? cap : "", &bytes);
    if (rc == KVMPOOL_OK)
        rc = kvmpool_vol_spec_new(name ? name : "", bytes, &s);
    if (rc == KVMPOOL_OK && (a = field_value(fields, "format")) != NULL)
        rc = kvmpool_vol_spec_set_format(s, a);
    free(a);
    a = NULL;
    if (rc == KVMPOOL_OK && (a = field_value(fields, "allocation")) != NULL &&
        (rc = kvmpool_size_parse(a, &bytes)) == KVMPOOL_OK)
        rc = kvmpool_vol_spec_set_allocation(s, bytes);
    free(a);
    a = NULL;
    if (rc == KVMPOOL_OK && (a = field_value(fields, "backing_store")) != NULL) {
        char *bf = field_value(fields, "backing_format");
        rc = kvmpool_vol_spec_set_backing_store(s, a, bf);
        free(bf);
    }
    free(a);
    a = NULL;
    if (rc == KVMPOOL_OK && ((a = field_value(fields, "label")) != NULL || jget(fields, "mode")))
        rc = kvmpool_vol_spec_set_permissions(s, (int32_t)jnum(fields, "mode", -1), -1, -1, a);
    free(a);
    a = NULL;
    if (rc == KVMPOOL_OK && (a = field_value(fields, "compat")) != NULL)
        rc = kvmpool_vol_spec_set_compat(s, a);
    free(a);
    a = NULL;
    const jv *features = jget(fields, "features");
    for (size_t i = 0; rc == KVMPOOL_OK && features && i < features->n; i++) {
        char *f = value(features->items[i], NULL);
        rc = kvmpool_vol_spec_add_feature(s, f);
        free(f);
    }
    if (rc == KVMPOOL_OK && (a = field_value(fields, "cluster_size")) != NULL &&
        (rc = kvmpool_size_parse(a, &bytes)) == KVMPOOL_OK)
        rc = kvmpool_vol_spec_set_cluster_size(s, bytes);
    free(a);
    free(name);
    free(cap);
    if (rc != KVMPOOL_OK) {
        kvmpool_vol_spec_free(s);
        return rc;
    }
    *out = s;
    return KVMPOOL_OK;
}

/* --- checks ---------------------------------------------------------------------------- */

/* `rc` (with the thread's last error) must be INVALID_SPEC naming the case's field,
 * with the case's reason in the message when `reason` is set, and then exactly the
 * case's message when it has one (the same text Rust and Python give). */
static void expect_invalid(const jv *c, kvmpool_status rc, const char *where, int reason)
{
    const char *cid = jstr(c, "id"), *field = jstr(c, "field"), *why = jstr(c, "reason");
    const char *note = jstr(c, "note");
    const char *got = kvmpool_last_error_field(), *msg = kvmpool_last_error_message();
    kt_checks++;
    if (rc != KVMPOOL_ERR_INVALID_SPEC || got == NULL || strcmp(got, field) != 0) {
        kt_failed++;
        fprintf(stderr, "FAILED: %s: %s returned %s on %s (%s); wanted KVMPOOL_ERR_INVALID_SPEC on %s%s%s%s\n",
                cid, where, kvmpool_status_name(rc), got ? got : "(no field)", msg, field,
                note ? " [" : "", note ? note : "", note ? "]" : "");
        return;
    }
    if (reason && why != NULL && strstr(msg, why) == NULL) {
        kt_failed++;
        fprintf(stderr, "FAILED: %s: %s: \"%s\" does not say \"%s\"\n", cid, where, msg, why);
    }
    const char *want = jstr(c, "message");
    if (reason && want != NULL && strcmp(msg, want) != 0) {
        kt_failed++;
        fprintf(stderr, "FAILED: %s: %s: says \"%s\", wanted exactly \"%s\"\n", cid, where, msg, want);
    }
}

static void check_no_panic(const char *cid, const char *where, kvmpool_status rc)
{
    kt_checks++;
    if (rc == KVMPOOL_ERR_PANIC) {
        kt_failed++;
        fprintf(stderr, "FAILED: %s: %s panicked: %s\n", cid, where, kvmpool_last_error_message());
    }
}

/* Round trip of a spec's XML through kvmpool's own reader, and no injected element. */
static void check_round_trip_xml(const char *cid, const char *xml, int pool)
{
    kt_checks++;
    if (strstr(xml, "<evil") != NULL) {
        kt_failed++;
        fprintf(stderr, "FAILED: %s: an element was injected:\n%s\n", cid, xml);
    }
    char *again = NULL;
    kvmpool_status rc;
    if (pool) {
        kvmpool_pool_spec *back = NULL;
        rc = kvmpool_pool_spec_from_xml(xml, &back);
        if (rc == KVMPOOL_OK)
            rc = kvmpool_pool_spec_to_xml(back, &again);
        kvmpool_pool_spec_free(back);
    } else {
        kvmpool_vol_spec *back = NULL;
        rc = kvmpool_vol_spec_from_xml(xml, &back);
        if (rc == KVMPOOL_OK)
            rc = kvmpool_vol_spec_to_xml(back, &again);
        kvmpool_vol_spec_free(back);
    }
    kt_checks++;
    if (rc != KVMPOOL_OK || strcmp(again, xml) != 0) {
        kt_failed++;
        fprintf(stderr, "FAILED: %s: from_xml(to_xml(spec)) differs (%s: %s):\n%s\n%s\n", cid,
                kvmpool_status_name(rc), kvmpool_last_error_message(), xml, again ? again : "");
    }
    kvmpool_string_free(again);
}

static void run_case(const jv *c)
{
    const char *cid = jstr(c, "id"), *what = jstr(c, "what"), *expect = jstr(c, "expect");
    const jv *skip = jget(jget(c, "skip"), "c");
    if (skip != NULL) {
        printf("SKIPPED %s: %s\n", cid, skip->s);
        cases_skipped++;
        return;
    }
    cases_run++;
    current_note = jstr(c, "note");
    kvmpool_status rc;
    double t0, dt;
    if (strcmp(what, "size") == 0) {
        size_t len;
        char *text = value(jget(c, "text"), &len);
        CHECK(len == strlen(text)); /* a NUL inside needs a skip for C in the table */
        uint64_t bytes = 12345;
        t0 = now_s();
        rc = kvmpool_size_parse(text, &bytes);
        timed(cid, "kvmpool_size_parse", now_s() - t0);
        check_no_panic(cid, "kvmpool_size_parse", rc);
        expect_invalid(c, rc, "kvmpool_size_parse", 1);
        CHECK(bytes == 12345);
        free(text);
    } else if (strcmp(what, "capacity_bytes") == 0) {
        uint64_t n = strtoull(jstr(c, "value"), NULL, 10);
        kvmpool_vol_spec *s = NULL;
        rc = kvmpool_vol_spec_new("v", n, &s);
        check_no_panic(cid, "kvmpool_vol_spec_new", rc);
        expect_invalid(c, rc, "kvmpool_vol_spec_new", 1);
        CHECK(s == NULL);
        kvmpool_vol_spec_free(s);
    } else if (strcmp(what, "pool_spec") == 0 || strcmp(what, "volume_spec") == 0) {
        int pool = what[0] == 'p';
        kvmpool_pool_spec *ps = NULL;
        kvmpool_vol_spec *vs = NULL;
        char *xml = NULL;
        t0 = now_s();
        rc = pool ? build_pool(jstr(c, "type"), jget(c, "fields"), &ps)
                  : build_volume(jget(c, "fields"), &vs);
        if (rc == KVMPOOL_OK)
            rc = pool ? kvmpool_pool_spec_validate(ps) : kvmpool_vol_spec_validate(vs);
        dt = now_s() - t0;
        timed(cid, "build + validate", dt);
        check_no_panic(cid, "build + validate", rc);
        if (strcmp(expect, "invalid") == 0) {
            expect_invalid(c, rc, "build + validate", 1);
        } else {
            kt_checks++;
            if (rc != KVMPOOL_OK) {
                kt_failed++;
                fprintf(stderr, "FAILED: %s: refused: %s: %s\n", cid, kvmpool_status_name(rc),
                        kvmpool_last_error_message());
            } else {
                REQUIRE_OK(pool ? kvmpool_pool_spec_to_xml(ps, &xml) : kvmpool_vol_spec_to_xml(vs, &xml));
                check_round_trip_xml(cid, xml, pool);
                if (pool) {
                    char *name = NULL, *want = field_value(jget(c, "fields"), "name");
                    CHECK_OK(kvmpool_pool_spec_name(ps, &name));
                    CHECK_STREQ(name, want);
                    kvmpool_string_free(name);
                    free(want);
                }
            }
        }
        kvmpool_string_free(xml);
        kvmpool_pool_spec_free(ps);
        kvmpool_vol_spec_free(vs);
    } else if (strcmp(what, "pool_xml") == 0 || strcmp(what, "volume_xml") == 0) {
        int pool = what[0] == 'p';
        size_t len;
        char *xml = value(jget(c, "xml"), &len);
        CHECK(len == strlen(xml));
        kvmpool_pool_spec *ps = NULL;
        kvmpool_vol_spec *vs = NULL;
        t0 = now_s();
        rc = pool ? kvmpool_pool_spec_from_xml(xml, &ps) : kvmpool_vol_spec_from_xml(xml, &vs);
        if (rc == KVMPOOL_OK && strcmp(expect, "invalid") == 0)
            rc = pool ? kvmpool_pool_spec_validate(ps) : kvmpool_vol_spec_validate(vs);
        timed(cid, "from_xml + validate", now_s() - t0);
        check_no_panic(cid, "from_xml + validate", rc);
        if (strcmp(expect, "fast") == 0) {
            CHECK(rc == KVMPOOL_OK || rc == KVMPOOL_ERR_INVALID_SPEC);
        } else {
            expect_invalid(c, rc, "from_xml + validate", 1);
        }
        kvmpool_pool_spec_free(ps);
        kvmpool_vol_spec_free(vs);
        free(xml);
    } else {
        fprintf(stderr, "FATAL: %s: unknown kind of case %s\n", cid, what);
        exit(1);
    }
}

/* --- test:///default: nothing is left behind ------------------------------------------- */

static kvmpool_conn *conn;
static kvmpool_pool *default_pool;

/* Every pool, and the volumes of the running ones, as one string. */
static char *inventory(void)
{
    buf b = {0};
    bput(&b, "", 0);
    kvmpool_pools *pools = NULL;
    REQUIRE_OK(kvmpool_pool_list(conn, 0, &pools));
    for (size_t i = 0; i < kvmpool_pools_len(pools); i++) {
        const kvmpool_pool *pool = kvmpool_pools_get(pools, i);
        char *name = NULL;
        bool active = false;
        REQUIRE_OK(kvmpool_pool_name(pool, &name));
        bput(&b, "P\x02", 2);
        bput(&b, name, strlen(name));
        bput(&b, "\x01", 1);
        REQUIRE_OK(kvmpool_pool_is_active(pool, &active));
        if (active) {
            kvmpool_strings *names = NULL;
            REQUIRE_OK(kvmpool_vol_list_names(pool, &names));
            for (size_t k = 0; k < kvmpool_strings_len(names); k++) {
                const char *vn = kvmpool_strings_get(names, k);
                bput(&b, "V\x02", 2);
                bput(&b, name, strlen(name));
                bput(&b, "\x03", 1);
                bput(&b, vn, strlen(vn));
                bput(&b, "\x01", 1);
            }
            kvmpool_strings_free(names);
        }
        kvmpool_string_free(name);
    }
    kvmpool_pools_free(pools);
    return b.s;
}

/* Remove what a failing case left, so that the next case starts clean. */
static void restore(const char *before)
{
    kvmpool_pools *pools = NULL;
    if (kvmpool_pool_list(conn, 0, &pools) != KVMPOOL_OK)
        return;
    for (size_t i = 0; i < kvmpool_pools_len(pools); i++) {
        const kvmpool_pool *pool = kvmpool_pools_get(pools, i);
        char *name = NULL, key[8192];
        bool active = false;
        if (kvmpool_pool_name(pool, &name) != KVMPOOL_OK)
            continue;
        snprintf(key, sizeof key, "P\x02%s\x01", name);
        if (strstr(before, key) == NULL) {
            kvmpool_pool_destroy(pool);
            kvmpool_pool_undefine(pool);
        } else if (kvmpool_pool_is_active(pool, &active) == KVMPOOL_OK && active) {
            kvmpool_vols *vols = NULL;
            if (kvmpool_vol_list(pool, &vols) == KVMPOOL_OK) {
                for (size_t k = 0; k < kvmpool_vols_len(vols); k++) {
                    const kvmpool_vol *vol = kvmpool_vols_get(vols, k);
                    char *vn = NULL;
                    if (kvmpool_vol_name(vol, &vn) == KVMPOOL_OK) {
                        snprintf(key, sizeof key, "V\x02%s\x03%s\x01", name, vn);
                        if (strstr(before, key) == NULL)
                            kvmpool_vol_delete(vol, KVMPOOL_DELETE_NORMAL);
                    }
                    kvmpool_string_free(vn);
                }
                kvmpool_vols_free(vols);
            }
        }
        kvmpool_string_free(name);
    }
    kvmpool_pools_free(pools);
}

enum step { DEFINE, CREATE, DEFINE_XML, CREATE_XML, VOL_CREATE, VOL_CREATE_XML };
static const char *const step_names[] = {"kvmpool_pool_define", "kvmpool_pool_create",
                                         "kvmpool_pool_define_xml", "kvmpool_pool_create_xml",
                                         "kvmpool_vol_create", "kvmpool_vol_create_xml"};

static void define_step(const jv *c, enum step st, const kvmpool_pool_spec *ps,
                        const kvmpool_vol_spec *vs, const char *xml, int from_spec)
{
    const char *cid = jstr(c, "id"), *expect = jstr(c, "expect");
    current_note = jstr(c, "note");
    char where[128];
    snprintf(where, sizeof where, "%s%s", step_names[st], from_spec && xml ? "(to_xml)" : "");
    char *before = inventory();
    kvmpool_pool *p = NULL;
    kvmpool_vol *v = NULL;
    kvmpool_status rc;
    double t0 = now_s();
    switch (st) {
    case DEFINE: rc = kvmpool_pool_define(conn, ps, &p); break;
    case CREATE: rc = kvmpool_pool_create(conn, ps, &p); break;
    case DEFINE_XML: rc = kvmpool_pool_define_xml(conn, xml, &p); break;
    case CREATE_XML: rc = kvmpool_pool_create_xml(conn, xml, &p); break;
    case VOL_CREATE: rc = kvmpool_vol_create(default_pool, vs, &v); break;
    default: rc = kvmpool_vol_create_xml(default_pool, xml, &v); break;
    }
    timed(cid, where, now_s() - t0);
    check_no_panic(cid, where, rc);
    if (strcmp(expect, "invalid") == 0) {
        expect_invalid(c, rc, where, !from_spec || xml == NULL);
    } else {
        kt_checks++;
        if (rc != KVMPOOL_OK) {
            kt_failed++;
            fprintf(stderr, "FAILED: %s: %s refused a valid spec: %s\n", cid, where,
                    kvmpool_last_error_message());
        }
        char *stored = NULL;
        if (p != NULL && kvmpool_pool_xml(p, &stored) == KVMPOOL_OK) {
            kvmpool_pool_spec *back = NULL;
            char *name = NULL, *want = field_value(jget(c, "fields"), "name");
            kt_checks++;
            if (strstr(stored, "<evil") != NULL ||
                kvmpool_pool_spec_from_xml(stored, &back) != KVMPOOL_OK ||
                kvmpool_pool_spec_name(back, &name) != KVMPOOL_OK || strcmp(name, want) != 0) {
                kt_failed++;
                fprintf(stderr, "FAILED: %s: libvirt stored (%s):\n%s\n", cid,
                        kvmpool_last_error_message(), stored);
            }
            kvmpool_string_free(name);
            free(want);
            kvmpool_pool_spec_free(back);
        }
        kvmpool_string_free(stored);
        if (p != NULL) {
            kvmpool_pool_destroy(p);
            kvmpool_pool_undefine(p);
        }
        if (v != NULL)
            CHECK_OK(kvmpool_vol_delete(v, KVMPOOL_DELETE_NORMAL));
    }
    kvmpool_pool_free(p);
    kvmpool_vol_free(v);
    char *after = inventory();
    kt_checks++;
    if (strcmp(before, after) != 0) {
        kt_failed++;
        fprintf(stderr, "FAILED: %s: %s left a pool or volume behind%s%s%s\n", cid, where,
                current_note ? " [" : "", current_note ? current_note : "", current_note ? "]" : "");
        restore(before);
    }
    free(before);
    free(after);
}

static void define_case(const jv *c)
{
    const char *what = jstr(c, "what"), *expect = jstr(c, "expect");
    if (jget(jget(c, "skip"), "c") != NULL || strcmp(expect, "fast") == 0)
        return;
    if (strcmp(what, "pool_spec") == 0) {
        kvmpool_pool_spec *ps = NULL;
        char *xml = NULL;
        if (build_pool(jstr(c, "type"), jget(c, "fields"), &ps) != KVMPOOL_OK)
            return; /* refused while building: nothing to define */
        define_step(c, DEFINE, ps, NULL, NULL, 1);
        define_step(c, CREATE, ps, NULL, NULL, 1);
        REQUIRE_OK(kvmpool_pool_spec_to_xml(ps, &xml));
        define_step(c, DEFINE_XML, NULL, NULL, xml, 1);
        kvmpool_string_free(xml);
        kvmpool_pool_spec_free(ps);
    } else if (strcmp(what, "volume_spec") == 0) {
        kvmpool_vol_spec *vs = NULL;
        char *xml = NULL;
        if (build_volume(jget(c, "fields"), &vs) != KVMPOOL_OK)
            return;
        define_step(c, VOL_CREATE, NULL, vs, NULL, 1);
        REQUIRE_OK(kvmpool_vol_spec_to_xml(vs, &xml));
        define_step(c, VOL_CREATE_XML, NULL, NULL, xml, 1);
        kvmpool_string_free(xml);
        kvmpool_vol_spec_free(vs);
    } else if (strcmp(what, "pool_xml") == 0 || strcmp(what, "volume_xml") == 0) {
        char *xml = value(jget(c, "xml"), NULL);
        if (what[0] == 'p') {
            define_step(c, DEFINE_XML, NULL, NULL, xml, 0);
            define_step(c, CREATE_XML, NULL, NULL, xml, 0);
        } else {
            define_step(c, VOL_CREATE_XML, NULL, NULL, xml, 0);
        }
        free(xml);
    }
}

/* --- NULL and invalid UTF-8 for every string argument of the spec functions ------------ */

/* Byte strings that are not UTF-8, each a different way of being wrong. */
static const char *const NOT_UTF8[] = {
    "\x80",                     /* a continuation byte alone */
    "ab\xC3",                   /* a 2-byte sequence cut short at the end */
    "\xE2\x82x",                /* a 3-byte sequence cut short in the middle */
    "\xC0\xAF",                 /* overlong '/' */
    "/var/\xC0\xAE\xC0\xAE/x",  /* overlong ".." in a path */
    "a\xC0\x80" "b",            /* overlong NUL (modified UTF-8) */
    "\xE0\x80\xAF",             /* overlong 3-byte '/' */
    "\xED\xA0\x80",             /* a UTF-16 surrogate, U+D800 */
    "\xED\xBF\xBF",             /* a UTF-16 surrogate, U+DFFF */
    "\xF4\x90\x80\x80",         /* above U+10FFFF */
    "\xF8\x88\x80\x80\x80",     /* the old 5-byte form */
    "\xFE\xFF",                 /* bytes that never occur in UTF-8 */
    "good-name-then-\xFF",      /* valid up to the last byte */
};
#define N_NOT_UTF8 (sizeof NOT_UTF8 / sizeof NOT_UTF8[0])

/* One string-taking function: its C argument names (what kvmpool_last_error_field()
 * must name), valid values, which may be NULL, and for setters the pool type of the
 * spec it is called on ("vol" for volume specs). */
typedef struct {
    const char *fn;
    int nargs;
    const char *names[4];
    const char *good[4];
    unsigned nullable;
    const char *spec_type; /* NULL: a constructor or free function */
} str_fn;

static const str_fn STR_FNS[] = {
    {"kvmpool_pool_spec_dir", 2, {"name", "target"}, {"n", "/t"}, 2, NULL},
    {"kvmpool_pool_spec_fs", 3, {"name", "source_dev", "target"}, {"n", "/dev/x", "/t"}, 4, NULL},
    {"kvmpool_pool_spec_netfs", 4, {"name", "host", "source_path", "target"}, {"n", "h", "/e", "/t"}, 8, NULL},
    {"kvmpool_pool_spec_logical", 2, {"name", "vg_name"}, {"n", "vg"}, 2, NULL},
    {"kvmpool_pool_spec_disk", 2, {"name", "device"}, {"n", "/dev/x"}, 0, NULL},
    {"kvmpool_pool_spec_iscsi", 3, {"name", "host", "iqn"}, {"n", "h", "iqn.2024-01.x:t"}, 0, NULL},
    {"kvmpool_pool_spec_iscsi_direct", 4, {"name", "host", "iqn", "initiator"},
     {"n", "h", "iqn.2024-01.x:t", "iqn.2024-01.x:i"}, 0, NULL},
    {"kvmpool_pool_spec_scsi", 2, {"name", "adapter"}, {"n", "host0"}, 0, NULL},
    {"kvmpool_pool_spec_mpath", 1, {"name"}, {"n"}, 0, NULL},
    {"kvmpool_pool_spec_rbd", 3, {"name", "monitor", "ceph_pool"}, {"n", "m", "cp"}, 0, NULL},
    {"kvmpool_pool_spec_sheepdog", 2, {"name", "host"}, {"n", "h"}, 0, NULL},
    {"kvmpool_pool_spec_gluster", 3, {"name", "host", "volume"}, {"n", "h", "gv"}, 0, NULL},
    {"kvmpool_pool_spec_zfs", 2, {"name", "zpool"}, {"n", "zp"}, 2, NULL},
    {"kvmpool_pool_spec_vstorage", 3, {"name", "cluster", "target"}, {"n", "c", "/t"}, 0, NULL},
    {"kvmpool_pool_spec_from_xml", 1, {"xml"},
     {"<pool type='dir'><name>n</name><target><path>/t</path></target></pool>"}, 0, NULL},
    {"kvmpool_vol_spec_new", 1, {"name"}, {"v"}, 0, NULL},
    {"kvmpool_vol_spec_from_xml", 1, {"xml"},
     {"<volume><name>v</name><capacity>1</capacity></volume>"}, 0, NULL},
    {"kvmpool_size_parse", 1, {"text"}, {"1G"}, 0, NULL},
    {"kvmpool_pool_spec_set_name", 1, {"name"}, {"n2"}, 0, "dir"},
    {"kvmpool_pool_spec_set_uuid", 1, {"uuid"}, {"0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"}, 1, "dir"},
    {"kvmpool_pool_spec_set_target", 1, {"path"}, {"/t2"}, 0, "dir"},
    {"kvmpool_pool_spec_set_permissions", 1, {"label"}, {"system_u:object_r:x:s0"}, 1, "dir"},
    {"kvmpool_pool_spec_set_format", 1, {"format"}, {"ext4"}, 0, "fs"},
    {"kvmpool_pool_spec_add_host", 1, {"host"}, {"m2"}, 0, "rbd"},
    {"kvmpool_pool_spec_add_device", 1, {"path"}, {"/dev/y"}, 0, "logical"},
    {"kvmpool_pool_spec_add_mount_option", 1, {"option"}, {"noatime"}, 0, "fs"},
    {"kvmpool_pool_spec_set_protocol_version", 1, {"version"}, {"4"}, 1, "netfs"},
    {"kvmpool_pool_spec_set_initiator", 1, {"iqn"}, {"iqn.2024-01.x:i"}, 1, "iscsi"},
    {"kvmpool_pool_spec_set_auth", 4, {"auth_type", "username", "secret_uuid", "secret_usage"},
     {"chap", "u", NULL, "usage"}, 1 | 4 | 8, "iscsi"},
    {"kvmpool_pool_spec_set_vendor", 1, {"vendor"}, {"v"}, 1, "iscsi"},
    {"kvmpool_pool_spec_set_product", 1, {"product"}, {"p"}, 1, "iscsi"},
    {"kvmpool_pool_spec_set_source_name", 1, {"source_name"}, {"s"}, 0, "rbd"},
    {"kvmpool_pool_spec_set_source_dir", 1, {"dir"}, {"/d"}, 0, "gluster"},
    {"kvmpool_pool_spec_add_config_option", 2, {"name", "value"}, {"k", "v"}, 0, "rbd"},
    {"kvmpool_pool_spec_set_refresh_allocation", 1, {"mode"}, {"capacity"}, 1, "rbd"},
    {"kvmpool_vol_spec_set_name", 1, {"name"}, {"v2"}, 0, "vol"},
    {"kvmpool_vol_spec_set_format", 1, {"format"}, {"qcow2"}, 1, "vol"},
    {"kvmpool_vol_spec_set_permissions", 1, {"label"}, {"l"}, 1, "vol"},
    {"kvmpool_vol_spec_set_backing_store", 2, {"path", "format"}, {"/b", "raw"}, 2, "vol"},
    {"kvmpool_vol_spec_set_compat", 1, {"compat"}, {"1.1"}, 1, "vol"},
    {"kvmpool_vol_spec_add_feature", 1, {"feature"}, {"lazy_refcounts"}, 0, "vol"},
    {"kvmpool_vol_spec_set_luks", 1, {"secret_uuid"}, {"0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"}, 1, "vol"},
};
#define N_STR_FNS (sizeof STR_FNS / sizeof STR_FNS[0])
_Static_assert(N_STR_FNS == 42, "invoke() has one case per STR_FNS entry, in the same order");

static int sentinel_target;
#define SENTINEL ((void *)&sentinel_target)

static kvmpool_status invoke(size_t i, const char *const a[4], kvmpool_pool_spec *ps,
                             kvmpool_vol_spec *vs, void **out)
{
    kvmpool_pool_spec **po = (kvmpool_pool_spec **)out;
    switch (i) {
    case 0: return kvmpool_pool_spec_dir(a[0], a[1], po);
    case 1: return kvmpool_pool_spec_fs(a[0], a[1], a[2], po);
    case 2: return kvmpool_pool_spec_netfs(a[0], a[1], a[2], a[3], po);
    case 3: return kvmpool_pool_spec_logical(a[0], a[1], po);
    case 4: return kvmpool_pool_spec_disk(a[0], a[1], po);
    case 5: return kvmpool_pool_spec_iscsi(a[0], a[1], a[2], po);
    case 6: return kvmpool_pool_spec_iscsi_direct(a[0], a[1], a[2], a[3], po);
    case 7: return kvmpool_pool_spec_scsi(a[0], a[1], po);
    case 8: return kvmpool_pool_spec_mpath(a[0], po);
    case 9: return kvmpool_pool_spec_rbd(a[0], a[1], a[2], po);
    case 10: return kvmpool_pool_spec_sheepdog(a[0], a[1], po);
    case 11: return kvmpool_pool_spec_gluster(a[0], a[1], a[2], po);
    case 12: return kvmpool_pool_spec_zfs(a[0], a[1], po);
    case 13: return kvmpool_pool_spec_vstorage(a[0], a[1], a[2], po);
    case 14: return kvmpool_pool_spec_from_xml(a[0], po);
    case 15: return kvmpool_vol_spec_new(a[0], 1, (kvmpool_vol_spec **)out);
    case 16: return kvmpool_vol_spec_from_xml(a[0], (kvmpool_vol_spec **)out);
    case 17: return kvmpool_size_parse(a[0], (uint64_t *)out);
    case 18: return kvmpool_pool_spec_set_name(ps, a[0]);
    case 19: return kvmpool_pool_spec_set_uuid(ps, a[0]);
    case 20: return kvmpool_pool_spec_set_target(ps, a[0]);
    case 21: return kvmpool_pool_spec_set_permissions(ps, 0755, -1, -1, a[0]);
    case 22: return kvmpool_pool_spec_set_format(ps, a[0]);
    case 23: return kvmpool_pool_spec_add_host(ps, a[0], 0);
    case 24: return kvmpool_pool_spec_add_device(ps, a[0]);
    case 25: return kvmpool_pool_spec_add_mount_option(ps, a[0]);
    case 26: return kvmpool_pool_spec_set_protocol_version(ps, a[0]);
    case 27: return kvmpool_pool_spec_set_initiator(ps, a[0]);
    case 28: return kvmpool_pool_spec_set_auth(ps, a[0], a[1], a[2], a[3]);
    case 29: return kvmpool_pool_spec_set_vendor(ps, a[0]);
    case 30: return kvmpool_pool_spec_set_product(ps, a[0]);
    case 31: return kvmpool_pool_spec_set_source_name(ps, a[0]);
    case 32: return kvmpool_pool_spec_set_source_dir(ps, a[0]);
    case 33: return kvmpool_pool_spec_add_config_option(ps, a[0], a[1]);
    case 34: return kvmpool_pool_spec_set_refresh_allocation(ps, a[0]);
    case 35: return kvmpool_vol_spec_set_name(vs, a[0]);
    case 36: return kvmpool_vol_spec_set_format(vs, a[0]);
    case 37: return kvmpool_vol_spec_set_permissions(vs, 0600, -1, -1, a[0]);
    case 38: return kvmpool_vol_spec_set_backing_store(vs, a[0], a[1]);
    case 39: return kvmpool_vol_spec_set_compat(vs, a[0]);
    case 40: return kvmpool_vol_spec_add_feature(vs, a[0]);
    default: return kvmpool_vol_spec_set_luks(vs, a[0]);
    }
}

static void make_spec(const char *type, kvmpool_pool_spec **ps, kvmpool_vol_spec **vs)
{
    *ps = NULL;
    *vs = NULL;
    if (type == NULL)
        return;
    if (strcmp(type, "vol") == 0)
        REQUIRE_OK(kvmpool_vol_spec_new("v", 1 << 20, vs));
    else if (strcmp(type, "dir") == 0)
        REQUIRE_OK(kvmpool_pool_spec_dir("n", "/t", ps));
    else if (strcmp(type, "fs") == 0)
        REQUIRE_OK(kvmpool_pool_spec_fs("n", "/dev/x", "/t", ps));
    else if (strcmp(type, "netfs") == 0)
        REQUIRE_OK(kvmpool_pool_spec_netfs("n", "h", "/e", "/t", ps));
    else if (strcmp(type, "logical") == 0)
        REQUIRE_OK(kvmpool_pool_spec_logical("n", "vg", ps));
    else if (strcmp(type, "iscsi") == 0)
        REQUIRE_OK(kvmpool_pool_spec_iscsi("n", "h", "iqn.2024-01.x:t", ps));
    else if (strcmp(type, "rbd") == 0)
        REQUIRE_OK(kvmpool_pool_spec_rbd("n", "m", "cp", ps));
    else
        REQUIRE_OK(kvmpool_pool_spec_gluster("n", "h", "gv", ps));
}

static char *spec_xml(kvmpool_pool_spec *ps, kvmpool_vol_spec *vs)
{
    char *xml = NULL;
    if (ps)
        REQUIRE_OK(kvmpool_pool_spec_to_xml(ps, &xml));
    if (vs)
        REQUIRE_OK(kvmpool_vol_spec_to_xml(vs, &xml));
    return xml;
}

/* Call function `i` with argument `k` replaced by `bad` (NULL or not UTF-8): the status
 * must be `want`, the field the argument's name, the out-parameter untouched, a setter's
 * spec unchanged. */
static void bad_argument(size_t i, int k, const char *bad, kvmpool_status want, const char *label)
{
    const str_fn *f = &STR_FNS[i];
    const char *args[4] = {f->good[0], f->good[1], f->good[2], f->good[3]};
    args[k] = bad;
    kvmpool_pool_spec *ps;
    kvmpool_vol_spec *vs;
    make_spec(f->spec_type, &ps, &vs);
    char *xml_before = spec_xml(ps, vs);
    void *out = SENTINEL;
    uint64_t bytes = 42;
    void **outp = i == 17 ? (void **)(void *)&bytes : &out;
    kvmpool_status rc = invoke(i, args, ps, vs, outp);
    const char *field = kvmpool_last_error_field();
    kt_checks++;
    if (rc != want || field == NULL || strcmp(field, f->names[k]) != 0) {
        kt_failed++;
        fprintf(stderr, "FAILED: %s with %s `%s`: %s on %s (%s); wanted %s on %s\n", f->fn, label,
                f->names[k], kvmpool_status_name(rc), field ? field : "(no field)",
                kvmpool_last_error_message(), kvmpool_status_name(want), f->names[k]);
    }
    CHECK(out == SENTINEL && bytes == 42);
    char *xml_after = spec_xml(ps, vs);
    kt_checks++;
    if (xml_before != NULL && strcmp(xml_before, xml_after) != 0) {
        kt_failed++;
        fprintf(stderr, "FAILED: %s with %s `%s` changed the spec:\n%s\n%s\n", f->fn, label,
                f->names[k], xml_before, xml_after);
    }
    kvmpool_string_free(xml_before);
    kvmpool_string_free(xml_after);
    kvmpool_pool_spec_free(ps);
    kvmpool_vol_spec_free(vs);
}

static void string_arguments(void)
{
    int calls = 0;
    for (size_t i = 0; i < N_STR_FNS; i++) {
        const str_fn *f = &STR_FNS[i];
        for (int k = 0; k < f->nargs; k++) {
            if (f->good[k] == NULL)
                continue; /* set_auth: secret_uuid is the NULL one of the pair */
            if (f->nullable & (1u << k)) {
                /* NULL is allowed here: never a NULL or UTF-8 error, never a panic. */
                const char *args[4] = {f->good[0], f->good[1], f->good[2], f->good[3]};
                args[k] = NULL;
                kvmpool_pool_spec *ps;
                kvmpool_vol_spec *vs;
                make_spec(f->spec_type, &ps, &vs);
                void *out = NULL;
                uint64_t bytes = 0;
                kvmpool_status rc =
                    invoke(i, args, ps, vs, i == 17 ? (void **)(void *)&bytes : &out);
                kt_checks++;
                if (rc == KVMPOOL_ERR_NULL || rc == KVMPOOL_ERR_UTF8 || rc == KVMPOOL_ERR_PANIC) {
                    kt_failed++;
                    fprintf(stderr, "FAILED: %s with NULL `%s` (allowed): %s\n", f->fn, f->names[k],
                            kvmpool_status_name(rc));
                }
                if (i <= 14)
                    kvmpool_pool_spec_free(out);
                else if (i <= 16)
                    kvmpool_vol_spec_free(out);
                kvmpool_pool_spec_free(ps);
                kvmpool_vol_spec_free(vs);
            } else {
                bad_argument(i, k, NULL, KVMPOOL_ERR_NULL, "NULL");
            }
            calls++;
            for (size_t u = 0; u < N_NOT_UTF8; u++) {
                char label[64];
                snprintf(label, sizeof label, "not-UTF-8 #%zu", u);
                bad_argument(i, k, NOT_UTF8[u], KVMPOOL_ERR_UTF8, label);
                calls++;
            }
        }
    }
    printf("string arguments: %d calls (NULL and %zu kinds of invalid UTF-8, each argument of "
           "%zu functions)\n",
           calls, N_NOT_UTF8, N_STR_FNS);
}

int main(void)
{
    load_table();
    const jv *cases = jget(doc, "cases");
    for (size_t i = 0; i < cases->n; i++)
        run_case(cases->items[i]);

    REQUIRE_OK(kvmpool_connect("test:///default", &conn));
    REQUIRE_OK(kvmpool_pool_lookup(conn, "default-pool", &default_pool));
    for (size_t i = 0; i < cases->n; i++)
        define_case(cases->items[i]);
    kvmpool_pool_free(default_pool);
    kvmpool_conn_free(conn);

    string_arguments();
    printf("bad input (C): %d cases run, %d skipped; slowest %.2f ms of CPU time: %s\n", cases_run,
           cases_skipped, slowest_s * 1000, slowest_id);
    jfree(doc);
    return kt_finish("test_bad_input");
}
