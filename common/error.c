/* error.c - the per-thread error message behind kz_fail() and kz_errmsg().
 *
 * Invariant: the buffer always holds a NUL-terminated string (possibly empty). Messages longer
 * than the buffer are truncated, never overflowed. */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* 1 KiB fits any message we produce (paths are the longest part); a longer one is cut. */
#define KZ_ERRMSG_CAP 1024

static _Thread_local char errmsg[KZ_ERRMSG_CAP];

static void set_message(const char *fmt, va_list ap, const char *suffix)
{
    int n = vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    if (n < 0) {
        errmsg[0] = '\0';
        n = 0;
    }
    if (suffix != NULL && (size_t)n < sizeof errmsg)
        snprintf(errmsg + n, sizeof errmsg - (size_t)n, ": %s", suffix);
}

int kz_fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_message(fmt, ap, NULL);
    va_end(ap);
    return status;
}

int kz_fail_errno(int status, const char *fmt, ...)
{
    const char *why = strerror(errno);
    char copy[128];
    snprintf(copy, sizeof copy, "%s", why); /* strerror's buffer may be reused by vsnprintf */
    va_list ap;
    va_start(ap, fmt);
    set_message(fmt, ap, copy);
    va_end(ap);
    return status;
}

int kz_fail_context(int status, const char *fmt, ...)
{
    char old[KZ_ERRMSG_CAP];
    memcpy(old, errmsg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    set_message(fmt, ap, old[0] ? old : NULL);
    va_end(ap);
    return status;
}

void kz_error_clear(void)
{
    errmsg[0] = '\0';
}

const char *kz_errmsg(void)
{
    return errmsg;
}

const char *kz_status_name(int status)
{
    switch (status) {
    case KZ_OK:
        return "ok";
    case KZ_ERROR:
        return "error";
    case KZ_ENOMEM:
        return "out of memory";
    case KZ_EIO:
        return "input/output error";
    case KZ_ECORRUPT:
        return "corrupt index";
    case KZ_EINVAL:
        return "invalid argument";
    case KZ_ENOTFOUND:
        return "not found";
    case KZ_ELOCKED:
        return "locked by another writer";
    case KZ_EQUERY:
        return "malformed query";
    case KZ_EUTF8:
        return "invalid UTF-8";
    case KZ_ITEROVER:
        return "iteration over";
    default:
        return "unknown status";
    }
}
