/*
 * Fleets from C: bad input refused with the field; test-driver hosts and a host that
 * refuses the connection (its URI holding a password that must never show): hosts,
 * inventory, plan, apply with a canary, drift, migration check and shared storage as
 * JSON; then the live test fleet (kvmpool-env.sh fleet-up): inventory of the TCP hosts
 * and a dead one in about the time of one, the TLS host with a good and a foreign
 * client certificate, the test VM over qemu+tcp.
 */
#include "kvmpool_test.h"
#include "kvmpool_json.h"

#include <time.h>

/* A condition without which the rest of the test makes no sense. */
#define REQUIRE(cond)                                                                      \
    do {                                                                                   \
        kt_checks++;                                                                       \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: FATAL: %s\n", __FILE__, __LINE__, #cond);              \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

#define REFUSED "storage+tcp://admin:pw-s3cret@127.0.0.1:1/system"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Parse a JSON string the library returned, and free the string. */
static jv *doc_of(char *json)
{
    if (json == NULL)
        return NULL;
    const char *err = NULL;
    jv *doc = jparse_text(json, strlen(json), &err);
    if (doc == NULL)
        fprintf(stderr, "bad JSON (%s): %s\n", err, json);
    kvmpool_string_free(json);
    return doc;
}

static const jv *host_at(const jv *doc, size_t i)
{
    const jv *hosts = jget(doc, "hosts");
    return hosts != NULL && i < hosts->n ? hosts->items[i] : NULL;
}

static int is_true(const jv *v)
{
    return v != NULL && v->t == J_BOOL && v->b;
}

static void bad_input(void)
{
    kvmpool_fleet *f = NULL;
    CHECK_STATUS(kvmpool_fleet_open(NULL, 0, NULL, &f), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "uris");
    const char *uris[] = {"test:///default", "storage+tcp://127.0.0.1:1/system"};
    const char *labels[] = {"a", "a"};
    kvmpool_fleet_options o = kvmpool_fleet_options_default();
    CHECK(o.connect_timeout_ms == 10000 && o.timeout_ms == 60000 && o.flags == 0);
    o.labels = labels;
    CHECK_STATUS(kvmpool_fleet_open(uris, 2, &o, &f), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "labels[1]");
    o.labels = NULL;
    o.flags = 0x80;
    CHECK_STATUS(kvmpool_fleet_open(uris, 2, &o, &f), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "flags");
    CHECK_STATUS(kvmpool_fleet_open(uris, 2, NULL, NULL), KVMPOOL_ERR_NULL);
    CHECK(f == NULL);
    kvmpool_fleet_free(NULL);
    kvmpool_fleet_plans_free(NULL);
}

static const char *MANIFEST = "[[pool]]\nname = \"guest_images\"\ntype = \"dir\"\n"
                              "target = \"/guest_images\"\nautostart = true\n"
                              "[[pool]]\nname = \"kvmnfs\"\ntype = \"netfs\"\nhost = \"nfs.example\"\n"
                              "source_path = \"/export\"\ntarget = \"/nfstest\"\n";

static void driver_hosts(void)
{
    char scratch[4096], node[3][4200], uri_buf[3][4300];
    kt_scratch(scratch, sizeof scratch, "fleet");
    const char *uris[4];
    for (int i = 0; i < 3; i++) {
        snprintf(node[i], sizeof node[i], "%s/node%d.xml", scratch, i);
        FILE *f = fopen(node[i], "w");
        REQUIRE(f != NULL);
        fputs("<node><pool type='dir'><name>default-pool</name><target><path>/d</path>"
              "</target></pool></node>",
              f);
        fclose(f);
        snprintf(uri_buf[i], sizeof uri_buf[i], "test://%s", node[i]);
        uris[i] = uri_buf[i];
    }
    uris[3] = REFUSED;
    const char *labels[] = {"a", "b", "c", "dead"};
    kvmpool_fleet_options o = kvmpool_fleet_options_default();
    o.labels = labels;
    o.connect_timeout_ms = 5000;
    kvmpool_fleet *fleet = NULL;
    REQUIRE_OK(kvmpool_fleet_open(uris, 4, &o, &fleet));

    char *json = NULL;
    CHECK_OK(kvmpool_fleet_hosts_json(fleet, &json));
    CHECK(json == NULL || strstr(json, "pw-s3cret") == NULL);
    jv *doc = doc_of(json);
    CHECK_STREQ(jstr(doc, "schema"), "kvmpool-fleet/1");
    CHECK(is_true(jget(host_at(doc, 0), "connected")));
    CHECK(!is_true(jget(host_at(doc, 3), "connected")));
    CHECK_STREQ(jstr(jget(host_at(doc, 3), "error"), "kind"), "Connect");
    CHECK_STREQ(jstr(host_at(doc, 3), "uri"), "storage+tcp://admin:***@127.0.0.1:1/system");
    jfree(doc);

    json = NULL;
    CHECK_OK(kvmpool_fleet_inventory_json(fleet, 0, &json));
    CHECK(json == NULL || strstr(json, "pw-s3cret") == NULL);
    doc = doc_of(json);
    CHECK_STREQ(jstr(doc, "operation"), "inventory");
    CHECK(is_true(jget(host_at(doc, 1), "ok")));
    const jv *pools = jget(jget(host_at(doc, 1), "result"), "pools");
    CHECK(pools != NULL && pools->n == 1 && strcmp(jstr(pools->items[0], "name"), "default-pool") == 0);
    CHECK(!is_true(jget(host_at(doc, 3), "ok")));
    CHECK_STREQ(jstr(jget(host_at(doc, 3), "error"), "kind"), "Connect");
    jfree(doc);
    CHECK_STATUS(kvmpool_fleet_inventory_json(fleet, 0x40, &json), KVMPOOL_ERR_INVALID_SPEC);

    /* plan and apply with the first host as canary; the dead host has no plan */
    kvmpool_manifest *m = NULL;
    REQUIRE_OK(kvmpool_manifest_from_toml(MANIFEST, &m));
    kvmpool_fleet_plans *plans = NULL;
    CHECK_OK(kvmpool_fleet_plan(fleet, m, &plans));
    json = NULL;
    CHECK_OK(kvmpool_fleet_plan_json(plans, &json));
    doc = doc_of(json);
    CHECK_STREQ(jstr(doc, "operation"), "plan");
    CHECK_STREQ(jstr(jget(host_at(doc, 0), "result"), "schema"), "kvmpool-plan/1");
    jfree(doc);
    kvmpool_fleet_apply_options ao = {0, NULL, 0, KVMPOOL_FLEET_CANARY_FIRST};
    ao.concurrency = 2;
    json = NULL;
    CHECK_OK(kvmpool_fleet_apply_json(fleet, plans, &ao, &json));
    doc = doc_of(json);
    CHECK_STREQ(jstr(doc, "operation"), "apply");
    for (size_t i = 0; i < 3; i++)
        CHECK_STREQ(jstr(jget(host_at(doc, i), "result"), "status"), "applied");
    CHECK(!is_true(jget(host_at(doc, 3), "ok")));
    jfree(doc);
    ao.canary = "nobody";
    CHECK_STATUS(kvmpool_fleet_apply_json(fleet, plans, &ao, &json), KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "canary");
    kvmpool_fleet_plans_free(plans);

    /* drift: the test hosts in sync, the dead one unreachable */
    char *text = NULL;
    json = NULL;
    CHECK_OK(kvmpool_fleet_drift_json(fleet, m, &json, &text));
    CHECK(text != NULL && strstr(text, "in sync") != NULL && strstr(text, "unreachable") != NULL);
    kvmpool_string_free(text);
    doc = doc_of(json);
    CHECK_STREQ(jstr(doc, "operation"), "drift");
    const jv *cells = jget(doc, "cells");
    REQUIRE(cells != NULL && cells->n == 8);
    CHECK_STREQ(jstr(cells->items[0], "state"), "in-sync");
    CHECK_STREQ(jstr(cells->items[7], "state"), "unreachable");
    jfree(doc);

    /* migration: the netfs pool is the same on a and b */
    json = NULL;
    CHECK_OK(kvmpool_fleet_migration_check_json(fleet, "a", "b", "kvmnfs", &json));
    doc = doc_of(json);
    CHECK(is_true(jget(doc, "compatible")));
    jfree(doc);
    CHECK_STATUS(kvmpool_fleet_migration_check_json(fleet, "a", "zz", "kvmnfs", &json),
                 KVMPOOL_ERR_NOT_FOUND);

    json = NULL;
    CHECK_OK(kvmpool_fleet_shared_storage_json(fleet, KVMPOOL_FLEET_SHARED_REFRESH, &json));
    doc = doc_of(json);
    const jv *sources = jget(doc, "sources");
    REQUIRE(sources != NULL && sources->n == 1);
    CHECK(jget(sources->items[0], "pools")->n == 3);
    jfree(doc);

    kvmpool_manifest_free(m);
    kvmpool_fleet_free(fleet);
    kt_rmtree(scratch);
}

/* Split a space-separated list into at most `max` entries of `buf` (modified). */
static size_t split(char *buf, const char **out, size_t max)
{
    size_t n = 0;
    for (char *t = strtok(buf, " "); t != NULL && n < max; t = strtok(NULL, " "))
        out[n++] = t;
    return n;
}

static void live_fleet(void)
{
    const char *list = getenv("KVMPOOL_FLEET_URIS");
    if (list == NULL || *list == '\0') {
        printf("SKIPPED: the live fleet: KVMPOOL_FLEET_URIS is not set (`kvmpool-env.sh fleet-up`, "
               "`make test`)\n");
        return;
    }
    char buf[8192];
    snprintf(buf, sizeof buf, "%s", list);
    const char *uris[16];
    size_t n = split(buf, uris, 14);
    REQUIRE(n >= 4);

    /* one host, then all TCP hosts plus one that refuses */
    kvmpool_fleet_options o = kvmpool_fleet_options_default();
    o.connect_timeout_ms = 2000;
    kvmpool_fleet *one = NULL;
    REQUIRE_OK(kvmpool_fleet_open(uris, 1, &o, &one));
    char *json = NULL;
    double t = now_ms();
    CHECK_OK(kvmpool_fleet_inventory_json(one, 0, &json));
    double t_one = now_ms() - t;
    kvmpool_string_free(json);
    kvmpool_fleet_free(one);

    uris[n] = "storage+tcp://127.0.0.1:1/system";
    kvmpool_fleet *fleet = NULL;
    t = now_ms();
    REQUIRE_OK(kvmpool_fleet_open(uris, n + 1, &o, &fleet));
    double t_open = now_ms() - t;
    json = NULL;
    t = now_ms();
    CHECK_OK(kvmpool_fleet_inventory_json(fleet, 0, &json));
    double t_all = now_ms() - t;
    jv *doc = doc_of(json);
    for (size_t i = 0; i < n; i++)
        CHECK(is_true(jget(host_at(doc, i), "ok")));
    CHECK_STREQ(jstr(jget(host_at(doc, n), "error"), "kind"), "Connect");
    jfree(doc);
    printf("timing: open of %zu hosts (1 dead) %.0f ms; inventory of 1 host %.0f ms, of %zu "
           "hosts (1 dead) %.0f ms\n",
           n + 1, t_open, t_one, n + 1, t_all);
    CHECK(t_open < 2000 && t_all < 3000);
    kvmpool_fleet_free(fleet);

    /* TLS: the good certificate connects, the other CA's is refused */
    const char *tls[2] = {getenv("KVMPOOL_FLEET_TLS_URI"), getenv("KVMPOOL_FLEET_BAD_TLS_URI")};
    REQUIRE(tls[0] != NULL && tls[1] != NULL);
    REQUIRE_OK(kvmpool_fleet_open(tls, 2, NULL, &fleet));
    json = NULL;
    CHECK_OK(kvmpool_fleet_inventory_json(fleet, KVMPOOL_FLEET_INVENTORY_NO_VOLUMES, &json));
    doc = doc_of(json);
    CHECK(is_true(jget(host_at(doc, 0), "ok")));
    CHECK_STREQ(jstr(jget(host_at(doc, 1), "error"), "kind"), "Connect");
    jfree(doc);
    kvmpool_fleet_free(fleet);

    /* the test VM joins over qemu+tcp */
    const char *vm_error = getenv("KVMPOOL_VM_ERROR"), *vm = getenv("KVMPOOL_VM_URI");
    if (vm_error != NULL) {
        kt_fail(__FILE__, __LINE__, "the test VM did not come up (KVMPOOL_VM_ERROR)");
        fprintf(stderr, "  %s\n", vm_error);
    } else if (vm == NULL) {
        printf("SKIPPED: the VM host: no test VM (KVMPOOL_VM_URI)\n");
    } else {
        uris[n] = vm;
        REQUIRE_OK(kvmpool_fleet_open(uris, n + 1, NULL, &fleet));
        json = NULL;
        CHECK_OK(kvmpool_fleet_inventory_json(fleet, 0, &json));
        doc = doc_of(json);
        CHECK(is_true(jget(host_at(doc, n), "ok")));
        CHECK(jget(jget(host_at(doc, n), "result"), "pools") != NULL);
        jfree(doc);
        kvmpool_fleet_free(fleet);
    }
}

int main(void)
{
    bad_input();
    driver_hosts();
    live_fleet();
    return kt_finish("test_fleet");
}
