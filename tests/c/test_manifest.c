/*
 * Declarative storage from C: the bad-manifest table (tests/bad_manifests/cases.json,
 * the same one Rust, Python and the command line read) refused with the field and the
 * exact message; then, on the live daemon, a manifest planned, applied, planned again
 * (empty), drifted out of band with virsh and mended, and a stale plan refused.
 */
#include "kvmpool_test.h"
#include "kvmpool_json.h"

#ifndef KT_SOURCE_DIR
#define KT_SOURCE_DIR "."
#endif

static void bad_manifests(void)
{
    const char *dir = getenv("KVMPOOL_SOURCE_DIR"), *err = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/bad_manifests/cases.json", dir && *dir ? dir : KT_SOURCE_DIR);
    jv *doc = jread_file(path, &err);
    if (doc == NULL) {
        fprintf(stderr, "FATAL: %s: %s (run from the repository root)\n", path, err);
        exit(1);
    }
    const jv *cases = jget(doc, "cases");
    for (size_t i = 0; cases != NULL && i < cases->n; i++) {
        const jv *c = cases->items[i];
        kvmpool_manifest *m = NULL;
        kvmpool_status rc = kvmpool_manifest_from_toml(jstr(c, "toml"), &m);
        const char *field = kvmpool_last_error_field(), *msg = kvmpool_last_error_message();
        kt_checks++;
        if (rc != KVMPOOL_ERR_INVALID_SPEC || m != NULL || field == NULL ||
            strcmp(field, jstr(c, "field")) != 0 || strcmp(msg, jstr(c, "message")) != 0) {
            kt_failed++;
            fprintf(stderr, "FAILED: %s: %s on %s: %s\n  wanted %s: %s\n", jstr(c, "id"),
                    kvmpool_status_name(rc), field ? field : "(none)", msg, jstr(c, "field"),
                    jstr(c, "message"));
        }
        kvmpool_manifest_free(m);
    }
    printf("bad manifests: %zu cases\n", cases ? cases->n : 0);
    jfree(doc);
}

static void virsh(const char *uri, const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "virsh -q -c '%s' %s > /dev/null", uri, args);
    CHECK(system(cmd) == 0);
}

static size_t plan_actions(kvmpool_conn *conn, kvmpool_manifest *m, kvmpool_plan **out)
{
    size_t actions = 99, blocked = 99;
    *out = NULL;
    CHECK_OK(kvmpool_conn_plan(conn, m, out));
    if (*out != NULL)
        CHECK_OK(kvmpool_plan_counts(*out, &actions, &blocked));
    CHECK(blocked == 0);
    return actions;
}

static void live_plan_and_apply(const char *uri)
{
    char scratch[4096], name[128], text[8192], args[4096];
    kt_scratch(scratch, sizeof scratch, "manifest");
    snprintf(name, sizeof name, "kvmm-c-%ld", (long)getpid());
    snprintf(text, sizeof text,
             "[[pool]]\nname = \"%s\"\ntype = \"dir\"\ntarget = \"%s/p\"\nautostart = true\n"
             "  [[pool.volume]]\n  name = \"data.raw\"\n  capacity = \"8M\"\n",
             name, scratch);
    kvmpool_conn *conn = NULL;
    REQUIRE_OK(kvmpool_connect(uri, &conn));
    kvmpool_manifest *m = NULL;
    REQUIRE_OK(kvmpool_manifest_from_toml(text, &m));

    kvmpool_plan *plan = NULL;
    CHECK(plan_actions(conn, m, &plan) == 4); /* define, start, autostart, create */
    char *json = NULL, *human = NULL;
    CHECK_OK(kvmpool_plan_json(plan, &json));
    CHECK(json != NULL && strstr(json, "\"schema\": \"kvmpool-plan/1\"") != NULL);
    CHECK(json != NULL && strstr(json, "\"action\": \"define-pool\"") != NULL);
    CHECK_OK(kvmpool_plan_text(plan, &human));
    CHECK(human != NULL && strstr(human, "+ pool kvmm-c-") != NULL);
    kvmpool_string_free(json);
    kvmpool_string_free(human);
    CHECK_OK(kvmpool_plan_apply(conn, plan));
    kvmpool_plan_free(plan);
    snprintf(args, sizeof args, "vol-info data.raw --pool %s", name);
    virsh(uri, args);

    CHECK(plan_actions(conn, m, &plan) == 0); /* idempotent */
    kvmpool_plan_free(plan);

    /* drift out of band, mended; the used plan is then stale */
    snprintf(args, sizeof args, "vol-resize data.raw 4M --pool %s --shrink", name);
    virsh(uri, args);
    CHECK(plan_actions(conn, m, &plan) == 1);
    CHECK_OK(kvmpool_plan_apply(conn, plan));
    CHECK_STATUS(kvmpool_plan_apply(conn, plan), KVMPOOL_ERR_STATE);
    CHECK(strstr(kvmpool_last_error_message(), "plan again") != NULL);
    kvmpool_plan_free(plan);
    CHECK(plan_actions(conn, m, &plan) == 0);
    kvmpool_plan_free(plan);

    kvmpool_manifest_free(m);
    snprintf(args, sizeof args,
             "vol-delete data.raw --pool %s && virsh -q -c '%s' pool-destroy %s && "
             "virsh -q -c '%s' pool-delete %s && virsh -q -c '%s' pool-undefine %s",
             name, uri, name, uri, name, uri, name);
    virsh(uri, args);
    kvmpool_conn_free(conn);
    kt_rmtree(scratch);
}

int main(void)
{
    bad_manifests();
    CHECK_STATUS(kvmpool_manifest_from_toml(NULL, NULL), KVMPOOL_ERR_NULL);
    kvmpool_manifest_free(NULL);
    kvmpool_plan_free(NULL);
    const char *uri = kt_live_uri("plan and apply on the live daemon");
    if (uri != NULL)
        live_plan_and_apply(uri);
    return kt_finish("test_manifest");
}
