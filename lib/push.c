/*
 * The Pushgateway client: promc_push (PUT), promc_push_add (POST) and
 * promc_push_delete (DELETE) on {gateway}/metrics/job/{job}{/name/value}...,
 * with the grouping key escaped as the Pushgateway expects (percent-encoding,
 * or the "@base64" form for values a path segment cannot carry).
 */
#include <stdio.h>
#include <string.h>

#include "promc_http.h"

#include "internal.h"

#define EXCERPT_MAX  200
#define PUSH_MAX_RSP (1024 * 1024) /* the gateway's answers are a few bytes */

static bool unreserved(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* RFC 3986 percent-encoding of everything but the unreserved characters. */
static void ub_escape(struct promc__buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p)) {
            promc__buf_put(b, (const char *)p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            promc__buf_put(b, e, 3);
        }
    }
}

/* "/name/value", or "/name@base64/..." for a value a path segment cannot
 * carry: one with '/', an empty one ("=" then, as the gateway wants), and
 * "." or "..", which HTTP routers resolve as path steps. */
static void ub_pair(struct promc__buf *b, const char *name, const char *value)
{
    promc__buf_str(b, "/");
    promc__buf_str(b, name);
    if (!*value) {
        promc__buf_str(b, "@base64/=");
    } else if (strchr(value, '/') || !strcmp(value, ".") || !strcmp(value, "..")) {
        promc__buf_str(b, "@base64/");
        /* URL-safe base64 with '=' padding, as the gateway decodes it. */
        promc__buf_base64(b, (const unsigned char *)value, strlen(value), true);
    } else {
        promc__buf_str(b, "/");
        ub_escape(b, value);
    }
}

static int check_grouping(const char *job, const promc_push_opts *o)
{
    if (!job || !*job)
        return promc__fail(PROMC_EINVAL, "push: job name is empty");
    if (!promc__valid_utf8(job, strlen(job)))
        return promc__fail(PROMC_EINVAL, "push: job name is not valid UTF-8");
    if (o->ngrouping && !o->grouping)
        return promc__fail(PROMC_EINVAL, "push: %zu grouping labels but grouping is NULL",
                           o->ngrouping);
    for (size_t i = 0; i < o->ngrouping; i++) {
        const char *name = o->grouping[i].name, *value = o->grouping[i].value;
        if (!promc__valid_label_name(name))
            return promc__fail(PROMC_EINVAL, "push: invalid grouping label name \"%.100s\"",
                               name ? name : "(null)");
        if (!strcmp(name, "job"))
            return promc__fail(PROMC_EINVAL,
                               "push: \"job\" cannot be a grouping label (it is the job argument)");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(name, o->grouping[j].name))
                return promc__fail(PROMC_EINVAL, "push: duplicate grouping label \"%s\"", name);
        if (!value)
            return promc__fail(PROMC_EINVAL, "push: grouping label \"%s\" has a NULL value", name);
        if (!promc__valid_utf8(value, strlen(value)))
            return promc__fail(PROMC_EINVAL, "push: grouping label \"%s\" is not valid UTF-8",
                               name);
    }
    return PROMC_OK;
}

static int build_url(struct promc__buf *u, const char *gateway, const char *job,
                     const promc_push_opts *o)
{
    if (!gateway || !*gateway)
        return promc__fail(PROMC_EINVAL, "push: gateway URL is empty");
    size_t gl = strlen(gateway);
    while (gl && gateway[gl - 1] == '/')
        gl--;
    promc__buf_put(u, gateway, gl);
    promc__buf_str(u, "/metrics");
    ub_pair(u, "job", job);
    for (size_t i = 0; i < o->ngrouping; i++)
        ub_pair(u, o->grouping[i].name, o->grouping[i].value);
    return u->oom ? promc__fail(PROMC_ENOMEM, "push: out of memory building the URL") : PROMC_OK;
}

/* "pushgateway answered 400: <start of its message>", control characters
 * blanked and cut on a UTF-8 boundary. */
static int answer_error(const promc_http_result *r)
{
    char ex[EXCERPT_MAX + 4];
    size_t n = r->body_len < EXCERPT_MAX ? r->body_len : EXCERPT_MAX;
    if (n < r->body_len)
        while (n > 0 && ((unsigned char)r->body[n] & 0xC0) == 0x80)
            n--;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)r->body[i];
        ex[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    while (n > 0 && ex[n - 1] == ' ')
        n--;
    if (n < r->body_len && r->body_len > EXCERPT_MAX)
        memcpy(ex + n, "...", 4);
    else
        ex[n] = '\0';
    if (!ex[0] && r->location)
        return promc__fail(PROMC_EIO, "pushgateway answered %d: redirect to %.180s", r->status,
                           r->location);
    return promc__fail(PROMC_EIO, "pushgateway answered %d: %s", r->status,
                       ex[0] ? ex : "(empty body)");
}

static int push(const char *method, promc_registry *reg, const char *gateway, const char *job,
                const promc_push_opts *opts)
{
    promc_push_opts o = opts ? *opts : (promc_push_opts){0};
    int rc = check_grouping(job, &o);
    if (rc != PROMC_OK)
        return rc;
    struct promc__buf url = {0};
    rc = build_url(&url, gateway, job, &o);
    if (rc != PROMC_OK) {
        promc__free(url.p);
        return rc;
    }
    char *body = NULL;
    size_t body_len = 0;
    if (strcmp(method, "DELETE") != 0) {
        promc__ok(); /* so that a failure's code below is this call's */
        body = promc_encode_buffer_ex(reg, PROMC_FORMAT_TEXT, &body_len, o.scrape);
        if (!body) {
            promc__free(url.p);
            return promc_last_error_code() ? promc_last_error_code() : PROMC_EIO;
        }
    }
    promc_http_client_opts co = {
        .timeout = o.timeout > 0 ? o.timeout : 10,
        .max_body = PUSH_MAX_RSP,
        .basic_user = o.basic_user,
        .basic_password = o.basic_password,
        .content_type = PROMC_CONTENT_TYPE_TEXT,
    };
    if (co.timeout < 5)
        co.connect_timeout = co.timeout;
    promc_http_result r;
    rc = promc_http_fetch(method, url.p, body, body_len, &co, &r);
    promc__free(body);
    promc__free(url.p);
    if (rc != PROMC_OK)
        return rc;
    if (r.status < 200 || r.status > 299)
        rc = answer_error(&r);
    else
        promc__ok();
    promc_http_result_free(&r);
    return rc;
}

int promc_push(promc_registry *reg, const char *gateway, const char *job,
               const promc_push_opts *opts)
{
    return push("PUT", reg, gateway, job, opts);
}

int promc_push_add(promc_registry *reg, const char *gateway, const char *job,
                   const promc_push_opts *opts)
{
    return push("POST", reg, gateway, job, opts);
}

int promc_push_delete(const char *gateway, const char *job, const promc_push_opts *opts)
{
    return push("DELETE", NULL, gateway, job, opts);
}
