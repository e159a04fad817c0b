/*
 * kvmpool_pool_import_image() and kvmpool_vol_export() on the live daemon: a qcow2
 * with a 10 GiB virtual size and 2 MiB of data from a file (checked with qemu-img info
 * on the volume's path and byte for byte, timed), the same image from an HTTP server
 * run by this test on 127.0.0.1 (good, 404, closed half way, wrong checksum, cancelled
 * at 50%: each leaves no volume behind), corrupt headers refused with the field named,
 * an export with its checksum. Needs KVMPOOL_TEST_URI (prints SKIPPED without it).
 */
#include "kvmpool_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#define MiB (1024ull * 1024ull)
#define GiB (1024ull * MiB)

static char scratch[1024];
static char buf[8192];

static const char *in_scratch(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", scratch, name);
    return out;
}

/* Run a shell command; its first line of output into `out` (may be NULL); 0 on success. */
static int sh(char *out, size_t size, const char *cmd)
{
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    char line[4096] = "";
    if (fgets(line, sizeof line, p) == NULL)
        line[0] = '\0';
    line[strcspn(line, "\n")] = '\0';
    while (fgets(buf, sizeof buf, p) != NULL) {
    }
    int rc = pclose(p);
    if (out != NULL)
        snprintf(out, size, "%s", line);
    return rc;
}

/* Time budgets are 30 times larger under valgrind (tests/c/valgrind.sh). */
static double slack(void)
{
    return getenv("KVMPOOL_UNDER_VALGRIND") != NULL ? 30.0 : 1.0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- an HTTP server: /img.qcow2 whole, /cut.qcow2 closed half way, else 404 --- */

static unsigned char *image;
static size_t image_len;
static int listen_fd = -1;
static atomic_int server_stop;

static void write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

static void *serve(void *arg)
{
    (void)arg;
    while (!server_stop) {
        int c = accept(listen_fd, NULL, NULL);
        if (c < 0)
            continue;
        char req[4096];
        size_t got = 0;
        while (got < sizeof req - 1) {
            ssize_t n = recv(c, req + got, sizeof req - 1 - got, 0);
            if (n <= 0)
                break;
            got += (size_t)n;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n") != NULL)
                break;
        }
        req[got] = '\0';
        char head[256];
        if (strncmp(req, "GET /img.qcow2 ", 15) == 0 || strncmp(req, "GET /cut.qcow2 ", 15) == 0) {
            int cut = strncmp(req, "GET /cut", 8) == 0;
            snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     image_len);
            write_all(c, head, strlen(head));
            write_all(c, image, cut ? image_len / 2 : image_len);
        } else {
            snprintf(head, sizeof head,
                     "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            write_all(c, head, strlen(head));
        }
        shutdown(c, SHUT_RDWR);
        close(c);
    }
    return NULL;
}

static int start_server(pthread_t *thread)
{
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(listen_fd, 16) != 0 || getsockname(listen_fd, (struct sockaddr *)&addr, &len) != 0)
        return -1;
    pthread_create(thread, NULL, serve, NULL);
    return ntohs(addr.sin_port);
}

/* --- helpers --- */

static int count_volumes(const char *uri, const char *pool)
{
    char cmd[2048], out[64];
    snprintf(cmd, sizeof cmd, "virsh -c '%s' vol-list %s | tail -n +3 | grep -c . || true", uri,
             pool);
    sh(out, sizeof out, cmd);
    return atoi(out);
}

struct cancel_at_half {
    int calls;
};

static int half(uint64_t done, uint64_t total, void *userdata)
{
    struct cancel_at_half *c = userdata;
    c->calls++;
    return total > 0 && done >= total / 2;
}

static char *vol_path(kvmpool_vol *vol)
{
    char *path = NULL;
    CHECK_OK(kvmpool_vol_path(vol, &path));
    return path;
}

int main(void)
{
    const char *uri = kt_live_uri("image import on a real daemon");
    if (uri == NULL)
        return kt_finish("test_import");
    kt_scratch(scratch, sizeof scratch, "import");

    char target[1200], cmd[4096], out[4096], name[128];
    snprintf(name, sizeof name, "cimport-%ld", (long)getpid());
    kvmpool_conn *conn = NULL;
    kvmpool_pool_spec *spec = NULL;
    kvmpool_pool *pool = NULL;
    REQUIRE_OK(kvmpool_connect(uri, &conn));
    REQUIRE_OK(kvmpool_pool_spec_dir(name, in_scratch(target, sizeof target, "pool"), &spec));
    REQUIRE_OK(kvmpool_pool_define(conn, spec, &pool));
    kvmpool_pool_spec_free(spec);
    REQUIRE_OK(kvmpool_pool_build(pool, KVMPOOL_BUILD_NORMAL));
    REQUIRE_OK(kvmpool_pool_start(pool));

    /* a qcow2 of 10 GiB virtual size holding 2 MiB */
    char src[1200];
    in_scratch(src, sizeof src, "disk.qcow2");
    snprintf(cmd, sizeof cmd,
             "qemu-img create -q -f qcow2 '%s' 10G && qemu-io -c 'write -P 0x5a 0 2M' '%s'", src,
             src);
    REQUIRE_OK(sh(NULL, 0, cmd) == 0 ? KVMPOOL_OK : KVMPOOL_ERR_IO);

    kvmpool_vol *vol = NULL;
    double t0 = now();
    CHECK_OK(kvmpool_pool_import_image(pool, src, NULL, NULL, NULL, &vol));
    double took = now() - t0;
    printf("C import of a 10 GiB-virtual qcow2 with 2 MiB of data: %.3f s\n", took);
    CHECK(took < 2.0 * slack());
    if (vol != NULL) {
        char *vp = vol_path(vol);
        snprintf(cmd, sizeof cmd,
                 "qemu-img info -U '%s' | grep -E '^(file format|virtual size)' | tr '\\n' ' '",
                 vp);
        sh(out, sizeof out, cmd);
        CHECK(strstr(out, "file format: qcow2") != NULL);
        CHECK(strstr(out, "(10737418240 bytes)") != NULL);
        CHECK(kt_same_file(src, vp));

        /* export with a checksum */
        char exported[1200], *sum = NULL, want[256];
        kvmpool_export_options eo = {0};
        eo.compute = "sha256";
        CHECK_OK(kvmpool_vol_export(vol, in_scratch(exported, sizeof exported, "out.qcow2"), &eo,
                                    NULL, NULL, &sum));
        CHECK(kt_same_file(src, exported));
        snprintf(cmd, sizeof cmd, "printf 'sha256:%%s' $(sha256sum '%s' | cut -d' ' -f1)",
                 exported);
        sh(want, sizeof want, cmd);
        CHECK_STREQ(sum, want);
        kvmpool_string_free(sum);
        CHECK_STATUS(kvmpool_vol_export(vol, exported, NULL, NULL, NULL, NULL),
                     KVMPOOL_ERR_ALREADY_EXISTS);
        kvmpool_string_free(vp);
    }
    kvmpool_vol_free(vol);
    vol = NULL;

    /* the name is taken */
    CHECK_STATUS(kvmpool_pool_import_image(pool, src, NULL, NULL, NULL, &vol),
                 KVMPOOL_ERR_ALREADY_EXISTS);
    CHECK(vol == NULL);

    /* argument errors */
    CHECK_STATUS(kvmpool_pool_import_image(pool, NULL, NULL, NULL, NULL, &vol), KVMPOOL_ERR_NULL);
    kvmpool_import_options bad = {0};
    bad.flags = 0x80;
    CHECK_STATUS(kvmpool_pool_import_image(pool, src, &bad, NULL, NULL, &vol),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "flags");
    bad.flags = 0;
    bad.name = "small.qcow2";
    bad.capacity = GiB;
    CHECK_STATUS(kvmpool_pool_import_image(pool, src, &bad, NULL, NULL, &vol),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "capacity");

    /* downloads */
    FILE *f = fopen(src, "rb");
    image_len = (size_t)kt_file_size(src);
    image = malloc(image_len);
    REQUIRE_OK(f != NULL && fread(image, 1, image_len, f) == image_len ? KVMPOOL_OK
                                                                        : KVMPOOL_ERR_IO);
    fclose(f);
    pthread_t server;
    int port = start_server(&server);
    REQUIRE_OK(port > 0 ? KVMPOOL_OK : KVMPOOL_ERR_IO);
    char url[256], sum[256];
    snprintf(cmd, sizeof cmd, "printf 'sha256:%%s' $(sha256sum '%s' | cut -d' ' -f1)", src);
    sh(sum, sizeof sum, cmd);

    kvmpool_import_options o = {0};
    o.name = "web.qcow2";
    o.checksum = sum;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/img.qcow2", port);
    CHECK_OK(kvmpool_pool_import_image(pool, url, &o, NULL, NULL, &vol));
    if (vol != NULL) {
        char *vp = vol_path(vol);
        CHECK(kt_same_file(src, vp));
        kvmpool_string_free(vp);
        kvmpool_vol_free(vol);
        vol = NULL;
    }
    int before = count_volumes(uri, name);
    CHECK(before == 2);

    o.name = "missing.qcow2";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/missing.qcow2", port);
    CHECK_STATUS(kvmpool_pool_import_image(pool, url, &o, NULL, NULL, &vol),
                 KVMPOOL_ERR_NOT_FOUND);
    CHECK(count_volumes(uri, name) == before);

    o.name = "cut.qcow2";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/cut.qcow2", port);
    CHECK_STATUS(kvmpool_pool_import_image(pool, url, &o, NULL, NULL, &vol), KVMPOOL_ERR_IO);
    CHECK(count_volumes(uri, name) == before);

    o.name = "wrong.qcow2";
    o.checksum = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/img.qcow2", port);
    CHECK_STATUS(kvmpool_pool_import_image(pool, url, &o, NULL, NULL, &vol),
                 KVMPOOL_ERR_INVALID_SPEC);
    CHECK_STREQ(kvmpool_last_error_field(), "sha256");
    CHECK(strstr(kvmpool_last_error_message(), sum) != NULL);
    CHECK(count_volumes(uri, name) == before);

    o.name = "half.qcow2";
    o.checksum = NULL;
    struct cancel_at_half c = {0};
    CHECK_STATUS(kvmpool_pool_import_image(pool, url, &o, half, &c, &vol),
                 KVMPOOL_ERR_CANCELLED);
    CHECK(c.calls > 1);
    CHECK(count_volumes(uri, name) == before);
    CHECK(vol == NULL);

    /* corrupt headers: refused with the field, fast, nothing created */
    char bad_path[1200];
    /* each `prep` is a shell command: %s is the good image, $f the file to make */
    struct {
        const char *file, *prep, *format, *field;
    } cases[] = {
        {"truncated.qcow2", "head -c 40 '%s' > \"$f\"", NULL, "qcow2.header"},
        {"absurd.qcow2",
         "cp '%s' \"$f\" && printf '\\100\\000\\000\\000\\000\\000\\000\\000' | "
         "dd of=\"$f\" bs=1 seek=24 conv=notrunc status=none",
         NULL, "qcow2.size"},
        {"magic.qcow2", "cp '%s' \"$f\" && printf 'QFJ' | dd of=\"$f\" bs=1 conv=notrunc status=none",
         "qcow2", "format"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        in_scratch(bad_path, sizeof bad_path, cases[i].file);
        char prep[2048];
        snprintf(prep, sizeof prep, cases[i].prep, src);
        snprintf(cmd, sizeof cmd, "f='%s'; %s", bad_path, prep);
        CHECK(sh(NULL, 0, cmd) == 0);
        kvmpool_import_options co = {0};
        co.format = cases[i].format;
        double t = now();
        CHECK_STATUS(kvmpool_pool_import_image(pool, bad_path, &co, NULL, NULL, &vol),
                     KVMPOOL_ERR_INVALID_SPEC);
        CHECK_STREQ(kvmpool_last_error_field(), cases[i].field);
        CHECK(now() - t < 0.5 * slack());
    }
    CHECK(count_volumes(uri, name) == before);

    server_stop = 1;
    shutdown(listen_fd, SHUT_RDWR);
    close(listen_fd);
    pthread_join(server, NULL);
    free(image);

    kvmpool_vols *vols = NULL;
    CHECK_OK(kvmpool_vol_list(pool, &vols));
    for (size_t i = 0; i < kvmpool_vols_len(vols); i++)
        CHECK_OK(kvmpool_vol_delete(kvmpool_vols_get(vols, i), KVMPOOL_DELETE_NORMAL));
    kvmpool_vols_free(vols);
    CHECK_OK(kvmpool_pool_destroy(pool));
    CHECK_OK(kvmpool_pool_delete(pool, KVMPOOL_DELETE_NORMAL));
    CHECK_OK(kvmpool_pool_undefine(pool));
    kvmpool_pool_free(pool);
    kvmpool_conn_free(conn);
    kt_rmtree(scratch);
    return kt_finish("test_import");
}
