/*
 * The start every exporter shares (exporter.h). The state is set once by
 * ex_exporter_start on the main thread before any server starts, read by
 * the servers' threads afterwards, and freed once they are gone.
 */
#include "exporter.h"

#include <string.h>

#include "create.h"
#include "webconfig.h"

#ifndef EX_REVISION
#define EX_REVISION "unknown"
#endif

static char compiler[128];
static promc_gauge_vec *build_info;
static ex_web_config *web_config;
static const char *index_name, *index_description, *index_version;
static bool started;

const char *ex_build_revision(void)
{
    return EX_REVISION[0] ? EX_REVISION : "unknown";
}

const char *ex_build_compiler(void)
{
#if defined(__clang__)
    const char *c = "clang " __clang_version__;
#elif defined(__GNUC__)
    const char *c = "gcc " __VERSION__;
#else
    const char *c = "unknown";
#endif
    if (!compiler[0]) {
        /* clang's version ends with a blank (and may carry a repository in
         * parentheses): keep the first two words. */
        size_t n = 0, words = 0;
        for (; c[n] && n + 1 < sizeof compiler; n++) {
            if (c[n] == ' ' && ++words == 2)
                break;
        }
        memcpy(compiler, c, n);
        compiler[n] = '\0';
    }
    return compiler;
}

int ex_exporter_start(const ex_cli *cli, const char *name, const char *log_level,
                      const char *log_format, const char *web_config_file)
{
    if (log_level)
        ex_log_set_level_name(log_level);
    if (log_format)
        ex_log_set_format_name(log_format);
    ex_log(EX_LOG_INFO, "starting %s %s (revision %s, %s, promc %s)", name, cli->version,
           ex_build_revision(), ex_build_compiler(), PROMC_VERSION_STRING);

    if (web_config_file && web_config_file[0]) {
        char why[1024];
        bool tls = false;
        web_config = ex_web_config_load(web_config_file, why, sizeof why, &tls);
        if (!web_config)
            ex_flags_fail(cli, "--web.config.file %s", why);
        size_t headers = 0;
        while (ex_web_config_headers(web_config)[headers])
            headers++;
        ex_log(EX_LOG_INFO,
               "web configuration %s: %zu user(s) for basic authentication, %zu "
               "response header(s)",
               web_config_file, ex_web_config_users(web_config), headers);
    }

    char metric[256];
    snprintf(metric, sizeof metric, "%s_build_info", name);
    char help[512];
    snprintf(help, sizeof help,
             "A metric with a constant '1' value labeled by version, revision and compiler from "
             "which %s was built.",
             name);
    build_info = promc_gauge_vec_new(NULL, metric, help,
                                     PROMC_LABELS("version", "revision", "compiler"), NULL);
    if (!build_info)
        return ex_metric_failed(metric);
    promc_gauge_set(
        promc_gauge_vec_labels(build_info, cli->version, ex_build_revision(), ex_build_compiler()),
        1);
    index_name = name;
    index_description = cli->summary;
    index_version = cli->version;
    started = true;
    return 0;
}

void ex_exporter_web_opts(promc_http_opts *opts)
{
    if (!started)
        return;
    opts->index_name = index_name;
    opts->index_description = index_description;
    opts->index_version = index_version;
    if (!web_config)
        return;
    opts->headers = ex_web_config_headers(web_config);
    if (ex_web_config_users(web_config)) {
        opts->basic_auth_check = ex_web_config_check;
        opts->basic_auth_data = web_config;
    }
}

void ex_exporter_stop(void)
{
    promc_gauge_vec_free(build_info);
    build_info = NULL;
    ex_web_config_free(web_config);
    web_config = NULL;
    started = false;
}
