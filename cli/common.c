/* common.c - shared helpers of the subcommands (see common.h). */
#include "common.h"

#include "commands.h"
#include "kzsearch.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s", a, b);
    return p;
}

char *kz_cli_index_dir(const char *opt)
{
    if (opt && *opt) return strdup(opt);
    const char *env = getenv("KZSEARCH_INDEX");
    if (env && *env) return strdup(env);
    const char *xdg = getenv("XDG_DATA_HOME");
    if (xdg && *xdg == '/') return join(xdg, "/kzsearch");
    const char *home = getenv("HOME");
    if (home && *home) return join(home, "/.local/share/kzsearch");
    fprintf(stderr, "kzsearch: cannot tell where the index lives: set HOME, XDG_DATA_HOME or "
                    "KZSEARCH_INDEX, or pass --index DIR\n");
    return NULL;
}

int kz_cli_fail(const char *what)
{
    const char *msg = kz_errmsg();
    if (what && *what)
        fprintf(stderr, "kzsearch: %s: %s\n", what, *msg ? msg : "failed");
    else
        fprintf(stderr, "kzsearch: %s\n", *msg ? msg : "failed");
    return KZ_EXIT_ERROR;
}

int kz_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kzsearch: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    va_end(ap);
    return KZ_EXIT_ERROR;
}

char *kz_cli_read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL) return NULL;
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                return NULL;
            }
            buf = grown;
            cap *= 2;
        }
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int kz_cli_color(const char *when, FILE *out)
{
    if (when == NULL || strcmp(when, "auto") == 0) {
        const char *no = getenv("NO_COLOR");
        return isatty(fileno(out)) && !(no && *no);
    }
    if (strcmp(when, "always") == 0) return 1;
    if (strcmp(when, "never") == 0) return 0;
    return -1;
}

int kz_cli_columns(FILE *out)
{
    struct winsize ws;
    if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    int n = c ? atoi(c) : 0;
    return n > 20 ? n : 80;
}
