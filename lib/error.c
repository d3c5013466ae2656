/*
 * Error codes, their names and texts (generated from PROMC_ERRNO_MAP so the
 * three can never disagree), and the per-thread record of the most recent
 * call that can fail: its code, and the message of a failure. A thread-local
 * buffer keeps messages race-free without a lock or allocation; a success
 * writes only the code, so that it costs one store.
 */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"
#include "promc.h"

static _Thread_local char last_message[256];
static _Thread_local int last_code;

unsigned promc_version(void)
{
    return PROMC_VERSION_HEX;
}

const char *promc_version_string(void)
{
    return PROMC_VERSION_STRING;
}

const char *promc_strerror(int code)
{
    switch (code) {
#define PROMC__ERR_TEXT(name, value, text)                                                         \
    case value:                                                                                    \
        return text;
        PROMC_ERRNO_MAP(PROMC__ERR_TEXT)
#undef PROMC__ERR_TEXT
    }
    return "unknown error";
}

const char *promc_errname(int code)
{
    switch (code) {
#define PROMC__ERR_NAME(name, value, text)                                                         \
    case value:                                                                                    \
        return "PROMC_" #name;
        PROMC_ERRNO_MAP(PROMC__ERR_NAME)
#undef PROMC__ERR_NAME
    }
    return "PROMC_UNKNOWN";
}

const char *promc_last_error(void)
{
    return last_code == PROMC_OK ? "" : last_message;
}

int promc_last_error_code(void)
{
    return last_code;
}

__attribute__((format(printf, 2, 0))) static void record(int code, const char *fmt, va_list ap)
{
    last_code = code;
    vsnprintf(last_message, sizeof last_message, fmt, ap);
}

int promc__fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(code, fmt, ap);
    va_end(ap);
    return code;
}

void *promc__fail_null(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(code, fmt, ap);
    va_end(ap);
    return NULL;
}

int promc__ok(void)
{
    last_code = PROMC_OK;
    return PROMC_OK;
}
