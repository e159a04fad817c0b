/*
 * Helpers shared by the C tests (tests/c/test_*.c). Include it first: it selects
 * POSIX.1-2008 for mkdtemp, pthread barriers and friends under -std=c11.
 *
 * Environment (exported by `make test`):
 *   KVMPOOL_TEST_URI  a real daemon (storage:///system?socket=...); the live parts of
 *                     a test print "SKIPPED: <reason>" and are left out when unset.
 *   KVMPOOL_TEST_DIR  scratch directory for files and pool targets (default: a new
 *                     directory under $TMPDIR or /tmp, removed at the end).
 */
#ifndef KVMPOOL_TEST_H
#define KVMPOOL_TEST_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <dirent.h>
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <kvmpool.h>

/* Checks run and failed, per test program (each test is one translation unit);
 * atomic because the thread tests check from several threads. */
static _Atomic int kt_checks;
static _Atomic int kt_failed;

static inline void kt_fail(const char *file, int line, const char *what)
{
    kt_failed++;
    fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
}

/* A condition that must hold. */
#define CHECK(cond)                                                                        \
    do {                                                                                   \
        kt_checks++;                                                                       \
        if (!(cond))                                                                       \
            kt_fail(__FILE__, __LINE__, #cond);                                            \
    } while (0)

/* A call that must return `want`; prints the status and last error otherwise. */
#define CHECK_STATUS(call, want)                                                           \
    do {                                                                                   \
        kvmpool_status kt_rc_ = (call);                                                    \
        kt_checks++;                                                                       \
        if (kt_rc_ != (kvmpool_status)(want)) {                                            \
            kt_failed++;                                                                   \
            fprintf(stderr, "%s:%d: FAILED: %s\n    returned %s, wanted %s: %s\n",         \
                    __FILE__, __LINE__, #call, kvmpool_status_name(kt_rc_),                \
                    kvmpool_status_name((uint32_t)(want)), kvmpool_last_error_message());  \
        }                                                                                  \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, KVMPOOL_OK)

/* A call without which the rest of the test makes no sense: stop the test program. */
#define REQUIRE_OK(call)                                                                   \
    do {                                                                                   \
        kvmpool_status kt_rc_ = (call);                                                    \
        kt_checks++;                                                                       \
        if (kt_rc_ != KVMPOOL_OK) {                                                        \
            fprintf(stderr, "%s:%d: FATAL: %s returned %s: %s\n", __FILE__, __LINE__,     \
                    #call, kvmpool_status_name(kt_rc_), kvmpool_last_error_message());     \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

#define CHECK_STREQ(a, b)                                                                  \
    do {                                                                                   \
        const char *kt_a_ = (a), *kt_b_ = (b);                                             \
        kt_checks++;                                                                       \
        if (kt_a_ == NULL || kt_b_ == NULL || strcmp(kt_a_, kt_b_) != 0) {                 \
            kt_failed++;                                                                   \
            fprintf(stderr, "%s:%d: FAILED: %s == %s\n    \"%s\" != \"%s\"\n", __FILE__,   \
                    __LINE__, #a, #b, kt_a_ ? kt_a_ : "(null)", kt_b_ ? kt_b_ : "(null)"); \
        }                                                                                  \
    } while (0)

/* The test's verdict, printed and returned from main. */
static inline int kt_finish(const char *name)
{
    if (kt_failed) {
        printf("FAIL: %s: %d of %d checks failed\n", name, (int)kt_failed, (int)kt_checks);
        return 1;
    }
    printf("PASS: %s: %d checks\n", name, (int)kt_checks);
    return 0;
}

/* The live daemon's URI, or NULL after printing why the live part is skipped. */
static inline const char *kt_live_uri(const char *what)
{
    const char *uri = getenv("KVMPOOL_TEST_URI");
    if (uri == NULL || *uri == '\0') {
        printf("SKIPPED: %s: KVMPOOL_TEST_URI is not set (no live libvirt daemon; "
               "`make test` starts one)\n",
               what);
        fflush(stdout);
        return NULL;
    }
    return uri;
}

/* Remove a file or a directory tree (best effort). */
static inline void kt_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d != NULL) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                char sub[4096];
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                kt_rmtree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* A new scratch directory for this test: $KVMPOOL_TEST_DIR/c-<tag>-<pid>, or
 * $TMPDIR/kvmpool-c-<tag>-XXXXXX. Written to `out`; remove it with kt_rmtree. */
static inline void kt_scratch(char *out, size_t size, const char *tag)
{
    const char *base = getenv("KVMPOOL_TEST_DIR");
    if (base != NULL && *base != '\0') {
        snprintf(out, size, "%s/c-%s-%ld", base, tag, (long)getpid());
        kt_rmtree(out);
        if (mkdir(out, 0755) != 0) {
            fprintf(stderr, "FATAL: mkdir %s: %s\n", out, strerror(errno));
            exit(1);
        }
        return;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(out, size, "%s/kvmpool-c-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
    if (mkdtemp(out) == NULL) {
        fprintf(stderr, "FATAL: mkdtemp %s: %s\n", out, strerror(errno));
        exit(1);
    }
}

/* Deterministic pseudo-random bytes (xorshift), so failures can be reproduced. */
static inline void kt_fill(unsigned char *buf, size_t len, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (unsigned char)(x >> 24);
    }
}

/* Write `len` pseudo-random bytes at `offset` of the file at `path` (created if
 * needed, never truncated); 0 on success. */
static inline int kt_write_at(const char *path, uint64_t offset, size_t len, uint64_t seed)
{
    unsigned char *buf = malloc(len ? len : 1);
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    int rc = -1;
    if (buf != NULL && fd >= 0) {
        kt_fill(buf, len, seed);
        rc = pwrite(fd, buf, len, (off_t)offset) == (ssize_t)len ? 0 : -1;
    }
    if (fd >= 0 && close(fd) != 0)
        rc = -1;
    free(buf);
    return rc;
}

/* Make `path` exactly `len` bytes long (a sparse tail when growing); 0 on success. */
static inline int kt_set_len(const char *path, uint64_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0)
        return -1;
    int rc = ftruncate(fd, (off_t)len);
    return close(fd) == 0 ? rc : -1;
}

/* The size of the file at `path`, or -1. */
static inline long long kt_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* True when `path` exists. */
static inline int kt_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Compare `len` bytes of two files from the given offsets: 1 when equal. */
static inline int kt_same_bytes(const char *a, uint64_t off_a, const char *b, uint64_t off_b,
                                uint64_t len)
{
    enum { CHUNK = 65536 };
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    unsigned char *ba = malloc(CHUNK), *bb = malloc(CHUNK); /* thread-safe: no statics */
    int same = fa != NULL && fb != NULL && ba != NULL && bb != NULL &&
               fseek(fa, (long)off_a, SEEK_SET) == 0 && fseek(fb, (long)off_b, SEEK_SET) == 0;
    while (same && len > 0) {
        size_t want = len < CHUNK ? (size_t)len : CHUNK;
        size_t na = fread(ba, 1, want, fa), nb = fread(bb, 1, want, fb);
        same = na == want && nb == want && memcmp(ba, bb, want) == 0;
        len -= want;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    free(ba);
    free(bb);
    return same;
}

/* Whole-file comparison: same size and same bytes. */
static inline int kt_same_file(const char *a, const char *b)
{
    long long sa = kt_file_size(a), sb = kt_file_size(b);
    return sa >= 0 && sa == sb && kt_same_bytes(a, 0, b, 0, (uint64_t)sa);
}

/* True when the `len` bytes of `path` from `offset` are all zero. */
static inline int kt_all_zero(const char *path, uint64_t offset, uint64_t len)
{
    enum { CHUNK = 65536 };
    FILE *f = fopen(path, "rb");
    unsigned char *buf = malloc(CHUNK);
    int zero = f != NULL && buf != NULL && fseek(f, (long)offset, SEEK_SET) == 0;
    while (zero && len > 0) {
        size_t want = len < CHUNK ? (size_t)len : CHUNK;
        zero = fread(buf, 1, want, f) == want;
        for (size_t i = 0; zero && i < want; i++)
            zero = buf[i] == 0;
        len -= want;
    }
    if (f)
        fclose(f);
    free(buf);
    return zero;
}

/* Take a string returned by kvmpool: copy it into `buf` and free it. */
static inline const char *kt_take(char *s, char *buf, size_t size)
{
    snprintf(buf, size, "%s", s ? s : "(null)");
    kvmpool_string_free(s);
    return buf;
}

/* The last error text as a copy (the library's copy is replaced by the next call). */
static inline const char *kt_last_error(char *buf, size_t size)
{
    snprintf(buf, size, "%s", kvmpool_last_error_message());
    return buf;
}

#endif /* KVMPOOL_TEST_H */
