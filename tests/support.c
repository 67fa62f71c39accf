/* support.c - test helpers (see support.h). */
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

char *kzt_tempdir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *path = kzt_path(tmp && *tmp ? tmp : "/tmp", "kztest-XXXXXX");
    cr_assert_not_null(mkdtemp(path), "mkdtemp %s failed", path);
    return path;
}

void kzt_rmtree(char *path)
{
    if (path == NULL) return;
    size_t n = strlen(path) + 16;
    char *cmd = malloc(n);
    cr_assert_not_null(cmd);
    snprintf(cmd, n, "rm -rf '%s'", path);
    int rc = system(cmd);
    (void)rc;
    free(cmd);
    free(path);
}

char *kzt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    cr_assert_not_null(data);
    cr_assert_eq(fread(data, 1, (size_t)size, f), (size_t)size, "short read of %s", path);
    fclose(f);
    data[size] = '\0';
    if (len) *len = (size_t)size;
    return data;
}

void kzt_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

char *kzt_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    cr_assert_not_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

const char *kzt_seeds_dir(void)
{
    return KZ_SHARED_DIR "/corpus/seeds";
}

char *kzt_run(const char *command, int *status)
{
    FILE *p = popen(command, "r");
    cr_assert_not_null(p, "cannot run %s", command);
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    cr_assert_not_null(out);
    size_t got;
    while ((got = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            cap *= 2;
            out = realloc(out, cap);
            cr_assert_not_null(out);
        }
    }
    out[len] = '\0';
    int st = pclose(p);
    if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

const char *kzt_bin(const char *name)
{
    static _Thread_local char path[4096];
    snprintf(path, sizeof path, "%s/bin/%s", KZ_BINARY_DIR, name);
    return path;
}
