/*
 * The one small JSON reader of the C tests (the tables and documents read are ours or
 * kvmpool's: UTF-8, no duplicate keys). Header-only; include after kvmpool_test.h.
 *
 *   jparser j = {text, text + len, NULL}; jv *doc = jparse(&j);  (NULL: j.err says why)
 *   jparse_text(text, len, &err): the whole text as one document
 *   jget(obj, "key"), jstr(obj, "key"), jnum(obj, "key", dflt), jread_file(path, &err)
 *   jfind_named(array, name): the element whose "name" is name
 */
#ifndef KVMPOOL_JSON_H
#define KVMPOOL_JSON_H


enum jt { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jv {
    enum jt t;
    char *s; /* J_STR: decoded UTF-8 (may hold NUL: see len); J_NUM: the digits */
    size_t len;
    int b;
    struct jv **items; /* J_ARR and J_OBJ values */
    char **keys;       /* J_OBJ */
    size_t n;
} jv;

typedef struct {
    const char *p, *end;
    const char *err;
} jparser;

static inline void jfree(jv *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++) {
        jfree(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->s);
    free(v);
}

static inline void jws(jparser *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static inline void put_utf8(char *out, size_t *n, unsigned long c)
{
    if (c < 0x80) {
        out[(*n)++] = (char)c;
    } else if (c < 0x800) {
        out[(*n)++] = (char)(0xC0 | (c >> 6));
        out[(*n)++] = (char)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out[(*n)++] = (char)(0xE0 | (c >> 12));
        out[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (c & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | (c >> 18));
        out[(*n)++] = (char)(0x80 | ((c >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (c & 0x3F));
    }
}

static inline int hex4(jparser *j, unsigned long *out)
{
    if (j->end - j->p < 4)
        return -1;
    unsigned long c = 0;
    for (int i = 0; i < 4; i++) {
        char h = *j->p++;
        c <<= 4;
        if (h >= '0' && h <= '9')
            c |= (unsigned long)(h - '0');
        else if (h >= 'a' && h <= 'f')
            c |= (unsigned long)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F')
            c |= (unsigned long)(h - 'A' + 10);
        else
            return -1;
    }
    *out = c;
    return 0;
}

/* A string after its opening quote; the result is NUL-terminated and *len is its
 * length (which counts NUL bytes from \u0000). */
static inline char *jstring(jparser *j, size_t *len)
{
    size_t cap = 16, n = 0;
    char *out = malloc(cap);
    while (out != NULL && j->p < j->end && *j->p != '"') {
        if (n + 8 > cap) {
            char *bigger = realloc(out, cap *= 2);
            if (bigger == NULL) {
                free(out);
                return NULL;
            }
            out = bigger;
        }
        char c = *j->p++;
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        if (j->p >= j->end)
            break;
        c = *j->p++;
        switch (c) {
        case '"': case '\\': case '/': out[n++] = c; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned long cp, lo;
            if (hex4(j, &cp) != 0)
                goto bad;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
                    goto bad;
                j->p += 2;
                if (hex4(j, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                    goto bad;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(out, &n, cp);
            break;
        }
        default:
            goto bad;
        }
    }
    if (out == NULL || j->p >= j->end)
        goto bad;
    j->p++; /* closing quote */
    out[n] = '\0';
    *len = n;
    return out;
bad:
    free(out);
    j->err = "bad string";
    return NULL;
}

static inline jv *jparse(jparser *j)
{
    jws(j);
    if (j->p >= j->end) {
        j->err = "unexpected end";
        return NULL;
    }
    jv *v = calloc(1, sizeof *v);
    if (v == NULL)
        return NULL;
    char c = *j->p;
    if (c == '{' || c == '[') {
        int obj = c == '{';
        v->t = obj ? J_OBJ : J_ARR;
        j->p++;
        size_t cap = 0;
        for (;;) {
            jws(j);
            if (j->p < j->end && *j->p == (obj ? '}' : ']') && v->n == 0) {
                j->p++;
                return v;
            }
            char *key = NULL;
            if (obj) {
                size_t klen;
                if (j->p >= j->end || *j->p != '"') {
                    j->err = "expected a key";
                    jfree(v);
                    return NULL;
                }
                j->p++;
                key = jstring(j, &klen);
                jws(j);
                if (key == NULL || j->p >= j->end || *j->p != ':') {
                    free(key);
                    j->err = j->err ? j->err : "expected ':'";
                    jfree(v);
                    return NULL;
                }
                j->p++;
            }
            jv *item = jparse(j);
            if (item == NULL) {
                free(key);
                jfree(v);
                return NULL;
            }
            if (v->n == cap) {
                cap = cap ? cap * 2 : 8;
                jv **items = realloc(v->items, cap * sizeof *items);
                char **keys = obj ? realloc(v->keys, cap * sizeof *keys) : NULL;
                if (items)
                    v->items = items;
                if (keys)
                    v->keys = keys;
                if (items == NULL || (obj && keys == NULL)) {
                    free(key);
                    jfree(item);
                    jfree(v);
                    return NULL;
                }
            }
            if (obj)
                v->keys[v->n] = key;
            v->items[v->n++] = item;
            jws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
                j->p++;
                return v;
            }
            j->err = "expected ',' or a closing bracket";
            jfree(v);
            return NULL;
        }
    }
    if (c == '"') {
        j->p++;
        v->t = J_STR;
        v->s = jstring(j, &v->len);
        if (v->s == NULL) {
            jfree(v);
            return NULL;
        }
        return v;
    }
    if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "false", 5) == 0) {
        v->t = J_BOOL;
        v->b = *j->p == 't';
        j->p += v->b ? 4 : 5;
        return v;
    }
    if (strncmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return v;
    }
    const char *start = j->p;
    while (j->p < j->end && strchr("+-0123456789.eE", *j->p) != NULL)
        j->p++;
    if (j->p == start) {
        j->err = "unexpected character";
        jfree(v);
        return NULL;
    }
    v->t = J_NUM;
    v->len = (size_t)(j->p - start);
    v->s = malloc(v->len + 1);
    if (v->s == NULL) {
        jfree(v);
        return NULL;
    }
    memcpy(v->s, start, v->len);
    v->s[v->len] = '\0';
    return v;
}

static inline const jv *jget(const jv *obj, const char *key)
{
    if (obj == NULL || obj->t != J_OBJ)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}

static inline const char *jstr(const jv *obj, const char *key)
{
    const jv *v = jget(obj, key);
    return v != NULL && v->t == J_STR ? v->s : NULL;
}

static inline long long jnum(const jv *obj, const char *key, long long dflt)
{
    const jv *v = jget(obj, key);
    return v != NULL && v->t == J_NUM ? strtoll(v->s, NULL, 10) : dflt;
}

/* The whole of `text` as one JSON document (nothing but white space after it), or NULL
 * with *err saying why. */
static inline jv *jparse_text(const char *text, size_t len, const char **err)
{
    jparser j = {text, text + len, NULL};
    jv *doc = jparse(&j);
    if (doc != NULL) {
        jws(&j);
        if (j.p == j.end)
            return doc;
        jfree(doc);
        j.err = "text after the document";
    }
    *err = j.err ? j.err : "not JSON";
    return NULL;
}

/* The element of array `arr` whose "name" is `name`, or NULL. */
static inline const jv *jfind_named(const jv *arr, const char *name)
{
    if (arr == NULL || arr->t != J_ARR)
        return NULL;
    for (size_t i = 0; i < arr->n; i++) {
        const char *n = jstr(arr->items[i], "name");
        if (n != NULL && strcmp(n, name) == 0)
            return arr->items[i];
    }
    return NULL;
}

/* The JSON document in the file at `path`, or NULL with *err set. */
static inline jv *jread_file(const char *path, const char **err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *err = strerror(errno);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            char *grown = realloc(text, cap);
            if (grown == NULL) {
                free(text);
                fclose(f);
                *err = "out of memory";
                return NULL;
            }
            text = grown;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    jv *doc = jparse_text(text, len, err);
    free(text);
    return doc;
}

#endif
