/* error.h - status codes and the per-thread error message shared by every layer.
 *
 * Every fallible internal function returns an int: KZ_OK (0) or a negative kz_status from
 * include/kzsearch.h. Whoever first detects a failure calls kz_fail(), which records a message
 * a person can act on ("cannot open /x/y: Permission denied") in thread-local storage and returns
 * the code; callers above only forward the code (KZ_TRY / KZ_CHECK), so the first, most precise
 * message survives. kz_errmsg() (public) reads it back. */
#ifndef KZ_ERROR_H
#define KZ_ERROR_H

#include "kzsearch.h"

#if defined(__GNUC__)
#define KZ_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define KZ_UNUSED       __attribute__((unused))
#else
#define KZ_PRINTF(f, a)
#define KZ_UNUSED
#endif

/* Records a formatted message for this thread and returns status (which must be negative). */
int kz_fail(int status, const char *fmt, ...) KZ_PRINTF(2, 3);

/* Like kz_fail, but appends ": strerror(errno)" using the errno value at the time of the call. */
int kz_fail_errno(int status, const char *fmt, ...) KZ_PRINTF(2, 3);

/* Prefixes the current message with context ("segment 3: " + old message) and returns status.
 * Use it when forwarding a failure through a layer that knows something the lower one did not. */
int kz_fail_context(int status, const char *fmt, ...) KZ_PRINTF(2, 3);

/* Clears this thread's message (kz_errmsg() then returns ""). */
void kz_error_clear(void);

/* Shorthand for the common "out of memory" failure. */
#define KZ_ENOMEM_FAIL() kz_fail(KZ_ENOMEM, "out of memory")

/* Returns from the current function if expr fails. For functions with nothing to clean up. */
#define KZ_TRY(expr)                                                                               \
    do {                                                                                           \
        int kz_try_rc_ = (expr);                                                                   \
        if (kz_try_rc_ < 0) return kz_try_rc_;                                                     \
    } while (0)

/* Assigns expr to the local `rc` and jumps to the function's single `done:` cleanup label on
 * failure. */
#define KZ_CHECK(expr)                                                                             \
    do {                                                                                           \
        rc = (expr);                                                                               \
        if (rc < 0) goto done;                                                                     \
    } while (0)

#endif
