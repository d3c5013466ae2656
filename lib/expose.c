/*
 * The public exposition calls: resolve the registry, put the format's sink
 * (text, OpenMetrics or protobuf) on the caller's writer (a callback, a
 * growing buffer, a FILE) with the names escaped as asked, and gather with
 * the caller's scrape options (the plain and _escaped calls are the _ex ones
 * with fewer options).
 */
#include "encode_protobuf.h"
#include "encode_text.h"
#include "gather.h"
#include "internal.h"
#include "registry.h"

/* The sinks' buffer: text lines are flushed to the writer in chunks of this
 * size, so a text scrape of any size streams in constant memory; the
 * protobuf sink starts here and moves to the heap for a larger family. */
#define ENC_BUFSIZE 16384

int promc_encode_ex(promc_registry *reg, promc_format format, promc_write_fn fn, void *ctx,
                    const promc_scrape_opts *opts)
{
    if (!fn || (format != PROMC_FORMAT_TEXT && format != PROMC_FORMAT_OPENMETRICS &&
                format != PROMC_FORMAT_PROTOBUF))
        return promc__fail(PROMC_EINVAL, "promc_encode needs a writer and a known format");
    promc_escaping escaping = opts ? opts->escaping : PROMC_ESCAPING_UNDERSCORES;
    if ((unsigned)escaping > PROMC_ESCAPING_ALLOW_UTF8)
        return promc__fail(PROMC_EINVAL, "promc_encode: unknown escaping %d", (int)escaping);
    if (promc__registry_arg(reg, "promc_encode", &reg) != PROMC_OK)
        return promc_last_error_code();
    char buf[ENC_BUFSIZE];
    if (format == PROMC_FORMAT_PROTOBUF) {
        struct promc__protobuf_sink p;
        promc__protobuf_sink_init(&p, fn, ctx, buf, sizeof buf);
        p.base.escaping = escaping;
        int rc = promc__gather(reg, &p.base, opts);
        promc__protobuf_sink_release(&p);
        return rc;
    }
    struct promc__text_sink t;
    promc__text_sink_init(&t, format, fn, ctx, buf, sizeof buf);
    t.base.escaping = escaping;
    int rc = promc__gather(reg, &t.base, opts);
    promc__text_sink_release(&t);
    return rc;
}

int promc_encode_escaped(promc_registry *reg, promc_format format, promc_escaping escaping,
                         promc_write_fn fn, void *ctx)
{
    promc_scrape_opts opts = {.escaping = escaping};
    return promc_encode_ex(reg, format, fn, ctx, &opts);
}

int promc_encode(promc_registry *reg, promc_format format, promc_write_fn fn, void *ctx)
{
    return promc_encode_ex(reg, format, fn, ctx, NULL);
}

char *promc_encode_buffer_ex(promc_registry *reg, promc_format format, size_t *len,
                             const promc_scrape_opts *opts)
{
    struct promc__buf b = {0};
    int rc = promc_encode_ex(reg, format, promc__buf_writer, &b, opts);
    if (rc == PROMC_OK && !b.p) /* an empty exposition */
        promc__buf_put(&b, "", 0);
    if (rc != PROMC_OK || b.oom) {
        promc__free(b.p);
        if (b.oom)
            promc__fail(PROMC_ENOMEM, "out of memory building the exposition");
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.p;
}

char *promc_encode_buffer_escaped(promc_registry *reg, promc_format format, promc_escaping escaping,
                                  size_t *len)
{
    promc_scrape_opts opts = {.escaping = escaping};
    return promc_encode_buffer_ex(reg, format, len, &opts);
}

char *promc_encode_buffer(promc_registry *reg, promc_format format, size_t *len)
{
    return promc_encode_buffer_ex(reg, format, len, NULL);
}

static int file_write(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

int promc_encode_file_ex(promc_registry *reg, promc_format format, FILE *f,
                         const promc_scrape_opts *opts)
{
    if (!f)
        return promc__fail(PROMC_EINVAL, "promc_encode_file needs a FILE");
    return promc_encode_ex(reg, format, file_write, f, opts);
}

int promc_encode_file_escaped(promc_registry *reg, promc_format format, promc_escaping escaping,
                              FILE *f)
{
    promc_scrape_opts opts = {.escaping = escaping};
    return promc_encode_file_ex(reg, format, f, &opts);
}

int promc_encode_file(promc_registry *reg, promc_format format, FILE *f)
{
    return promc_encode_file_ex(reg, format, f, NULL);
}
