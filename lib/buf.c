/*
 * A growable byte buffer for building requests, URLs and expositions in
 * memory, and the iovec bookkeeping of partial writes. Appends never fail loudly: the first
 * allocation failure sets `oom` and later appends do nothing, so callers check once at the end. The
 * contents stay NUL-terminated.
 */
#include <string.h>

#include "internal.h"

char *promc__buf_extend(struct promc__buf *b, size_t n)
{
    if (b->oom)
        return NULL;
    if (n >= b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 512;
        while (n >= cap - b->len) {
            if (cap > SIZE_MAX / 2) {
                b->oom = true;
                return NULL;
            }
            cap *= 2;
        }
        char *p = promc__realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    char *at = b->p + b->len;
    b->len += n;
    b->p[b->len] = '\0';
    return at;
}

void promc__buf_put(struct promc__buf *b, const char *s, size_t n)
{
    char *at = promc__buf_extend(b, n);
    if (at && n)
        memcpy(at, s, n);
}

void promc__buf_str(struct promc__buf *b, const char *s)
{
    promc__buf_put(b, s, strlen(s));
}

void promc__buf_base64(struct promc__buf *b, const unsigned char *s, size_t n, bool url_safe)
{
    const char *tab = url_safe ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                               : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char q[4] = {tab[(v >> 18) & 63], tab[(v >> 12) & 63], i + 1 < n ? tab[(v >> 6) & 63] : '=',
                     i + 2 < n ? tab[v & 63] : '='};
        promc__buf_put(b, q, 4);
    }
}

void promc__iov_consume(struct iovec **iov, int *n, size_t done)
{
    while (*n > 0 && done >= (*iov)->iov_len) {
        done -= (*iov)->iov_len;
        (*iov)++;
        (*n)--;
    }
    if (*n > 0) {
        (*iov)->iov_base = (char *)(*iov)->iov_base + done;
        (*iov)->iov_len -= done;
    }
}

int promc__buf_writer(void *ctx, const char *data, size_t len)
{
    struct promc__buf *b = ctx;
    promc__buf_put(b, data, len);
    return b->oom ? -1 : 0;
}
