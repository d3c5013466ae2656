/*
 * The web configuration file (webconfig.h): a strict reader for the block
 * YAML such a file is written in -- nested mappings by indentation, plain,
 * single- and double-quoted scalars, comments -- and the checks of the keys
 * exporter-toolkit defines. Anything else YAML allows (lists, flow style,
 * anchors, tags, block scalars, several documents) is refused with its line
 * number: a setting this reader misunderstood could leave an exporter open.
 * Passwords are checked with crypt_r(3) from libxcrypt (the exporters link
 * -lcrypt; the promc library itself does not).
 */
#include "webconfig.h"

#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Nesting the format needs: http_server_config > headers > name. */
#define MAX_DEPTH 8

/* ===================================================================== */
/* YAML subset: lines, scalars, mappings                                  */
/* ===================================================================== */

/* One "key: value" or "key:" line. */
struct entry {
    int line;
    int indent;
    char *key;
    char *value;           /* NULL: no value on the line */
    bool quoted;           /* the value was quoted (so never null) */
    struct node *children; /* a mapping under the key, or NULL */
};

/* A mapping: its entries in file order. */
struct node {
    struct entry *entries;
    size_t n, cap;
};

struct parser {
    const char *name;
    char *why;
    size_t cap;
    struct entry *lines; /* every key line, in order */
    size_t nlines, lines_cap;
    size_t pos;
};

__attribute__((format(printf, 3, 4))) static void fail(struct parser *p, int line, const char *fmt,
                                                       ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(p->why, p->cap, "%s: line %d: %s", p->name, line, msg);
    else
        snprintf(p->why, p->cap, "%s: %s", p->name, msg);
}

static void node_free(struct node *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        node_free(m->entries[i].children);
    free(m->entries);
    free(m);
}

/* A scalar starting at *s (quoted or plain) copied into a new string; *s
 * moves past it. Plain scalars end at " #" or the end of the line and lose
 * their trailing blanks. NULL (failed, p says why) on a malformed one. */
static char *scalar(struct parser *p, int line, const char **s, const char *end, bool key)
{
    const char *q = *s;
    size_t cap = (size_t)(end - q) + 1;
    char *out = malloc(cap);
    if (!out) {
        fail(p, line, "out of memory");
        return NULL;
    }
    size_t n = 0;
    if (*q == '\'') {
        for (q++;; q++) {
            if (q >= end) {
                fail(p, line, "a single-quoted string is not closed on its line");
                goto bad;
            }
            if (*q == '\'') {
                if (q + 1 < end && q[1] == '\'') {
                    out[n++] = '\'';
                    q++;
                    continue;
                }
                q++;
                break;
            }
            out[n++] = *q;
        }
    } else if (*q == '"') {
        for (q++;; q++) {
            if (q >= end) {
                fail(p, line, "a double-quoted string is not closed on its line");
                goto bad;
            }
            if (*q == '"') {
                q++;
                break;
            }
            if (*q != '\\') {
                out[n++] = *q;
                continue;
            }
            if (++q >= end) {
                fail(p, line, "a double-quoted string is not closed on its line");
                goto bad;
            }
            switch (*q) {
            case '\\':
            case '"':
            case '/':
                out[n++] = *q;
                break;
            case 't':
                out[n++] = '\t';
                break;
            default:
                fail(p, line, "escape \\%c is not supported here (only \\\\, \\\", \\/ and \\t)",
                     *q);
                goto bad;
            }
        }
    } else {
        /* YAML's indicators cannot start a plain scalar (or start what this
         * reader does not read: flow collections, anchors, aliases, tags,
         * block scalars, directives). */
        if (strchr("[]{}&*!|>%@`,?", *q) || (*q == '-' && (q + 1 == end || q[1] == ' '))) {
            fail(p, line,
                 "\"%c\" starts YAML this reader does not support (lists, flow "
                 "collections, anchors, aliases, tags, block scalars); quote the value",
                 *q);
            goto bad;
        }
        const char *stop = q;
        while (stop < end) {
            if (*stop == ':' && (stop + 1 == end || stop[1] == ' '))
                break;
            if (*stop == '#' && stop > q && stop[-1] == ' ')
                break;
            stop++;
        }
        if (!key && stop < end && *stop == ':') {
            fail(p, line,
                 "a mapping cannot follow a key on the same line; quote the value if "
                 "it holds \": \"");
            goto bad;
        }
        while (stop > q && stop[-1] == ' ')
            stop--;
        memcpy(out, q, (size_t)(stop - q));
        n = (size_t)(stop - q);
        q = stop;
    }
    out[n] = '\0';
    *s = q;
    return out;
bad:
    free(out);
    return NULL;
}

/* Blanks, then a comment or nothing, up to end. */
static bool rest_is_empty(const char *s, const char *end)
{
    while (s < end && *s == ' ')
        s++;
    return s == end || *s == '#';
}

/* Reads one content line (indent and text, comments and blank lines
 * already skipped) into p->lines. */
static bool read_line(struct parser *p, int line, int indent, const char *s, const char *end)
{
    if (p->nlines == p->lines_cap) {
        size_t cap = p->lines_cap ? 2 * p->lines_cap : 16;
        struct entry *e = realloc(p->lines, cap * sizeof *e);
        if (!e) {
            fail(p, line, "out of memory");
            return false;
        }
        p->lines = e;
        p->lines_cap = cap;
    }
    struct entry e = {.line = line, .indent = indent};
    const char *q = s;
    e.key = scalar(p, line, &q, end, true);
    if (!e.key)
        return false;
    if (q >= end || *q != ':' || (q + 1 < end && q[1] != ' ')) {
        fail(p, line, "expected \"key: value\" or \"key:\"");
        free(e.key);
        return false;
    }
    if (!e.key[0]) {
        fail(p, line, "an empty key");
        free(e.key);
        return false;
    }
    q++;
    while (q < end && *q == ' ')
        q++;
    if (!rest_is_empty(q, end)) {
        e.quoted = *q == '\'' || *q == '"';
        e.value = scalar(p, line, &q, end, false);
        if (!e.value) {
            free(e.key);
            return false;
        }
        if (!rest_is_empty(q, end)) {
            fail(p, line, "unexpected text after the value");
            free(e.key);
            free(e.value);
            return false;
        }
    }
    p->lines[p->nlines++] = e;
    return true;
}

/* Splits text into lines and reads the content ones. */
static bool read_lines(struct parser *p, const char *text, size_t len)
{
    if (memchr(text, '\0', len)) {
        fail(p, 0, "the file holds a NUL byte");
        return false;
    }
    const char *s = text, *end = text + len;
    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        s += 3; /* a UTF-8 byte order mark */
    bool content = false;
    for (int line = 1; s < end; line++) {
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        const char *next = eol ? eol + 1 : end;
        const char *stop = eol ? eol : end;
        if (stop > s && stop[-1] == '\r')
            stop--;
        const char *t = s;
        while (t < stop && *t == ' ')
            t++;
        int indent = (int)(t - s);
        if (t < stop && *t == '\t') {
            fail(p, line, "a tab in the indentation (YAML indents with spaces)");
            return false;
        }
        if (t == stop || *t == '#') {
            s = next;
            continue;
        }
        bool marker = indent == 0 && stop - t >= 3 &&
                      (memcmp(t, "---", 3) == 0 || memcmp(t, "...", 3) == 0) &&
                      rest_is_empty(t + 3, stop);
        if (marker) {
            if (content || t[0] == '.') {
                fail(p, line, "one YAML document only (no \"---\" or \"...\" after the content)");
                return false;
            }
            s = next;
            continue;
        }
        content = true;
        if (*t == '-' && (t + 1 == stop || t[1] == ' ')) {
            fail(p, line, "lists are not part of this file's format");
            return false;
        }
        if (!read_line(p, line, indent, t, stop))
            return false;
        s = next;
    }
    return true;
}

/* The mapping whose first line is p->lines[p->pos], deeper than parent. */
static struct node *build(struct parser *p, int parent, int depth)
{
    struct node *m = calloc(1, sizeof *m);
    if (!m) {
        fail(p, 0, "out of memory");
        return NULL;
    }
    if (p->pos >= p->nlines)
        return m;
    int indent = p->lines[p->pos].indent;
    if (depth > MAX_DEPTH) {
        fail(p, p->lines[p->pos].line, "nested too deep");
        goto bad;
    }
    while (p->pos < p->nlines && p->lines[p->pos].indent > parent) {
        struct entry *e = &p->lines[p->pos];
        if (e->indent != indent) {
            fail(p, e->line, "unexpected indentation");
            goto bad;
        }
        for (size_t i = 0; i < m->n; i++) {
            if (strcmp(m->entries[i].key, e->key) == 0) {
                fail(p, e->line, "\"%s\" is given twice (first on line %d)", e->key,
                     m->entries[i].line);
                goto bad;
            }
        }
        if (m->n == m->cap) {
            size_t cap = m->cap ? 2 * m->cap : 8;
            struct entry *es = realloc(m->entries, cap * sizeof *es);
            if (!es) {
                fail(p, e->line, "out of memory");
                goto bad;
            }
            m->entries = es;
            m->cap = cap;
        }
        struct entry *mine = &m->entries[m->n++];
        *mine = *e;
        mine->children = NULL;
        p->pos++;
        if (!mine->value && p->pos < p->nlines && p->lines[p->pos].indent > indent) {
            mine->children = build(p, indent, depth + 1);
            if (!mine->children)
                goto bad;
        }
    }
    return m;
bad:
    node_free(m);
    return NULL;
}

/* ===================================================================== */
/* The configuration                                                      */
/* ===================================================================== */

struct user {
    const char *name; /* in the parser's lines */
    const char *hash;
    /* A SHA-256-crypt hash of the password that last passed, or "". */
    char cached[CRYPT_OUTPUT_SIZE];
};

struct ex_web_config {
    struct entry *lines; /* own every key and value string */
    size_t nlines;
    struct user *users;
    size_t nusers;
    char **headers; /* "Name: value", NULL-terminated */
    size_t nheaders;
    /* bcrypt checks one at a time, with their work area; the cache apart,
     * so a request with cached credentials never waits behind them. */
    pthread_mutex_t bcrypt_lock;
    struct crypt_data *bcrypt_data;
    pthread_mutex_t cache_lock;
    struct crypt_data *cache_data;
};

/* The headers exporter-toolkit lets a configuration set, and the values
 * it accepts for some (NULL: any). */
static const struct {
    const char *name;
    const char *values[3];
} allowed_headers[] = {
    {"Content-Security-Policy", {NULL}},
    {"X-Frame-Options", {"deny", "sameorigin", NULL}},
    {"X-Content-Type-Options", {"nosniff", NULL}},
    {"X-XSS-Protection", {NULL}},
    {"Strict-Transport-Security", {NULL}},
};

static bool is_null(const struct entry *e)
{
    return !e->value ||
           (!e->quoted && (strcmp(e->value, "~") == 0 || strcasecmp(e->value, "null") == 0));
}

/* A value that must be a string (not a mapping). */
static bool want_scalar(struct parser *p, const struct entry *e, const char *where)
{
    if (e->children) {
        fail(p, e->line, "%s: expected a string, not a mapping", where);
        return false;
    }
    return true;
}

/* A value that must be a mapping, or empty. */
static bool want_mapping(struct parser *p, const struct entry *e)
{
    if (e->value && !is_null(e)) {
        fail(p, e->line, "%s: expected a mapping (keys on the lines below, indented)", e->key);
        return false;
    }
    return true;
}

/* $2a$, $2b$ or $2y$, a two-digit cost from 04 to 31, '$', then 53
 * characters of bcrypt's base64 (22 of salt, 31 of hash). */
static bool is_bcrypt(const char *h)
{
    static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' ||
        h[6] != '$')
        return false;
    if (h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9')
        return false;
    int cost = (h[4] - '0') * 10 + (h[5] - '0');
    if (cost < 4 || cost > 31)
        return false;
    for (int i = 7; i < 60; i++)
        if (!h[i] || !strchr(b64, h[i]))
            return false;
    return true;
}

static bool add_users(struct parser *p, ex_web_config *c, const struct entry *section)
{
    const struct node *m = section->children;
    if (!m || !m->n)
        return true;
    c->users = calloc(m->n, sizeof *c->users);
    if (!c->users) {
        fail(p, section->line, "out of memory");
        return false;
    }
    for (size_t i = 0; i < m->n; i++) {
        const struct entry *e = &m->entries[i];
        if (!want_scalar(p, e, "basic_auth_users"))
            return false;
        for (const unsigned char *u = (const unsigned char *)e->key; *u; u++) {
            if (*u == ':' || *u < 0x20 || *u == 0x7f) {
                fail(p, e->line,
                     "user \"%s\": a user name cannot hold ':' or control "
                     "characters (HTTP Basic authentication)",
                     e->key);
                return false;
            }
        }
        if (is_null(e) || !is_bcrypt(e->value)) {
            fail(p, e->line,
                 "user \"%s\": expected a bcrypt hash ($2y$..., 60 characters), as "
                 "`htpasswd -nbB user password` writes after the colon",
                 e->key);
            return false;
        }
        c->users[c->nusers].name = e->key;
        c->users[c->nusers].hash = e->value;
        c->nusers++;
    }
    return true;
}

static bool add_headers(struct parser *p, ex_web_config *c, const struct entry *section)
{
    const struct node *m = section->children;
    size_t n = m ? m->n : 0;
    for (size_t i = 0; i < n; i++) {
        const struct entry *e = &m->entries[i];
        if (!want_scalar(p, e, "http_server_config.headers"))
            return false;
        size_t k = 0, nallowed = sizeof allowed_headers / sizeof allowed_headers[0];
        while (k < nallowed && strcasecmp(allowed_headers[k].name, e->key) != 0)
            k++;
        if (k == nallowed) {
            fail(p, e->line,
                 "header \"%s\" cannot be configured (only Content-Security-Policy, "
                 "X-Frame-Options, X-Content-Type-Options, X-XSS-Protection and "
                 "Strict-Transport-Security)",
                 e->key);
            return false;
        }
        if (is_null(e) || !e->value[0])
            continue; /* blank: unset, as exporter-toolkit has it */
        const char *const *values = allowed_headers[k].values;
        bool ok = !values[0];
        for (size_t v = 0; values[v]; v++)
            ok = ok || strcasecmp(values[v], e->value) == 0;
        if (!ok) {
            fail(p, e->line, "header %s: \"%s\" is not one of its values (%s%s%s)",
                 allowed_headers[k].name, e->value, values[0], values[1] ? ", " : "",
                 values[1] ? values[1] : "");
            return false;
        }
        for (const unsigned char *v = (const unsigned char *)e->value; *v; v++) {
            if (*v < 0x20 || *v == 0x7f) {
                fail(p, e->line, "header %s: a control character in the value",
                     allowed_headers[k].name);
                return false;
            }
        }
        size_t len = strlen(allowed_headers[k].name) + 2 + strlen(e->value) + 1;
        char *line = malloc(len);
        if (!line) {
            fail(p, e->line, "out of memory");
            return false;
        }
        snprintf(line, len, "%s: %s", allowed_headers[k].name, e->value);
        c->headers[c->nheaders++] = line;
    }
    return true;
}

static bool add_server_config(struct parser *p, ex_web_config *c, const struct entry *section)
{
    const struct node *m = section->children;
    size_t n = m ? m->n : 0;
    for (size_t i = 0; i < n; i++) {
        const struct entry *e = &m->entries[i];
        if (strcmp(e->key, "headers") == 0) {
            if (!want_mapping(p, e))
                return false;
            size_t count = e->children ? e->children->n : 0;
            char **h = realloc(c->headers, (c->nheaders + count + 1) * sizeof *h);
            if (!h) {
                fail(p, e->line, "out of memory");
                return false;
            }
            c->headers = h;
            c->headers[c->nheaders] = NULL;
            if (!add_headers(p, c, e))
                return false;
            c->headers[c->nheaders] = NULL;
        } else if (strcmp(e->key, "http2") == 0) {
            fail(p, e->line,
                 "http_server_config.http2 is not supported: HTTP/2 needs TLS, "
                 "which promc does not have (a TLS terminator in front may speak "
                 "HTTP/2 to clients)");
            return false;
        } else {
            fail(p, e->line, "unknown key http_server_config.%s (known: headers)", e->key);
            return false;
        }
    }
    return true;
}

static bool interpret(struct parser *p, ex_web_config *c, const struct node *root, bool *tls)
{
    for (size_t i = 0; i < root->n; i++) {
        const struct entry *e = &root->entries[i];
        if (strcmp(e->key, "tls_server_config") == 0) {
            if (tls)
                *tls = true;
            fail(p, e->line,
                 "tls_server_config is not supported: promc serves plain HTTP only (libc "
                 "has no TLS). Terminate TLS in front of the exporter (nginx, HAProxy, "
                 "stunnel, a service mesh sidecar), let the exporter listen on 127.0.0.1, "
                 "and remove the section");
            return false;
        }
    }
    for (size_t i = 0; i < root->n; i++) {
        const struct entry *e = &root->entries[i];
        if (strcmp(e->key, "basic_auth_users") == 0) {
            if (!want_mapping(p, e) || !add_users(p, c, e))
                return false;
        } else if (strcmp(e->key, "http_server_config") == 0) {
            if (!want_mapping(p, e) || !add_server_config(p, c, e))
                return false;
        } else if (strcmp(e->key, "rate_limit") == 0) {
            fail(p, e->line,
                 "rate_limit is not supported (the server bounds its queue and "
                 "connections instead; see docs/HTTP.md)");
            return false;
        } else {
            fail(p, e->line, "unknown key \"%s\" (known: basic_auth_users, http_server_config)",
                 e->key);
            return false;
        }
    }
    return true;
}

void ex_web_config_free(ex_web_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nlines; i++) {
        free(c->lines[i].key);
        free(c->lines[i].value);
    }
    free(c->lines);
    free(c->users);
    for (size_t i = 0; i < c->nheaders; i++)
        free(c->headers[i]);
    free(c->headers);
    pthread_mutex_destroy(&c->bcrypt_lock);
    pthread_mutex_destroy(&c->cache_lock);
    free(c->bcrypt_data);
    free(c->cache_data);
    free(c);
}

ex_web_config *ex_web_config_parse(const char *name, const char *text, size_t len, char *why,
                                   size_t cap, bool *tls)
{
    if (tls)
        *tls = false;
    char spare[1];
    struct parser p = {.name = name ? name : "web configuration",
                       .why = why && cap ? why : spare,
                       .cap = why && cap ? cap : sizeof spare};
    p.why[0] = '\0';
    ex_web_config *c = calloc(1, sizeof *c);
    if (!c) {
        fail(&p, 0, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&c->bcrypt_lock, NULL);
    pthread_mutex_init(&c->cache_lock, NULL);
    c->headers = calloc(1, sizeof *c->headers);
    c->bcrypt_data = calloc(1, sizeof *c->bcrypt_data);
    c->cache_data = calloc(1, sizeof *c->cache_data);
    bool ok = c->headers && c->bcrypt_data && c->cache_data;
    if (!ok)
        fail(&p, 0, "out of memory");
    ok = ok && read_lines(&p, text ? text : "", text ? len : 0);
    /* The strings belong to the configuration from here on. */
    c->lines = p.lines;
    c->nlines = p.nlines;
    struct node *root = ok ? build(&p, -1, 0) : NULL;
    ok = root && interpret(&p, c, root, tls);
    node_free(root);
    if (!ok) {
        ex_web_config_free(c);
        return NULL;
    }
    return c;
}

ex_web_config *ex_web_config_load(const char *path, char *why, size_t cap, bool *tls)
{
    if (tls)
        *tls = false;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(EX_WEB_CONFIG_MAX_BYTES + 1);
    size_t len = text ? fread(text, 1, EX_WEB_CONFIG_MAX_BYTES + 1, f) : 0;
    bool err = ferror(f);
    fclose(f);
    if (!text || err || len > EX_WEB_CONFIG_MAX_BYTES) {
        snprintf(why, cap, "%s: %s", path,
                 !text ? "out of memory"
                 : err ? "cannot be read"
                       : "larger than 1 MiB, which no web configuration needs");
        free(text);
        return NULL;
    }
    ex_web_config *c = ex_web_config_parse(path, text, len, why, cap, tls);
    free(text);
    return c;
}

size_t ex_web_config_users(const ex_web_config *c)
{
    return c ? c->nusers : 0;
}

const char *const *ex_web_config_headers(const ex_web_config *c)
{
    static const char *const none[] = {NULL};
    return c && c->headers ? (const char *const *)c->headers : none;
}

/* ===================================================================== */
/* Checking passwords                                                     */
/* ===================================================================== */

/* Equal strings, in time that depends on their lengths only. */
static bool consttime_streq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

int ex_web_config_check(void *config, const char *user, const char *password)
{
    ex_web_config *c = config;
    if (!c || !c->nusers || !user || !password)
        return 0;
    /* Every user is compared, so the time does not say where the match was. */
    struct user *u = NULL;
    for (size_t i = 0; i < c->nusers; i++)
        if (consttime_streq(c->users[i].name, user) && !u)
            u = &c->users[i];

    if (u) {
        pthread_mutex_lock(&c->cache_lock);
        bool hit = false;
        if (u->cached[0]) {
            const char *h = crypt_r(password, u->cached, c->cache_data);
            hit = h && consttime_streq(h, u->cached);
        }
        pthread_mutex_unlock(&c->cache_lock);
        if (hit)
            return 1;
    }

    /* An unknown user is checked against the first user's hash, which costs
     * the same, and fails whatever the password. */
    const char *hash = u ? u->hash : c->users[0].hash;
    pthread_mutex_lock(&c->bcrypt_lock);
    const char *h = crypt_r(password, hash, c->bcrypt_data);
    bool ok = h && consttime_streq(h, hash) && u;
    pthread_mutex_unlock(&c->bcrypt_lock);
    if (!ok)
        return 0;

    /* Remember the success as a salted, fast hash: the cache never holds the
     * password, and a wrong one still costs a bcrypt check. */
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn("$5$", 1000, NULL, 0, setting, sizeof setting)) {
        pthread_mutex_lock(&c->cache_lock);
        const char *fast = crypt_r(password, setting, c->cache_data);
        if (fast && fast[0] == '$' && strlen(fast) < sizeof u->cached)
            strcpy(u->cached, fast);
        pthread_mutex_unlock(&c->cache_lock);
    }
    return 1;
}
