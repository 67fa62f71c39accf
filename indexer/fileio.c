/* fileio.c - durable writes (see fileio.h). */
#include "fileio.h"

#include "error.h"
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Thread_local long fail_after = -1;

void kz_fileio_fail_after(long n)
{
    fail_after = n;
}

/* Counts one operation; returns non-zero (with errno = EIO) when it must fail. */
static int injected(void)
{
    if (fail_after < 0) return 0;
    if (fail_after == 0) {
        errno = EIO;
        return 1;
    }
    fail_after--;
    return 0;
}

static int write_all(int fd, const void *data, size_t len, const char *path)
{
    const uint8_t *p = data;
    while (len > 0) {
        size_t chunk = len > (1u << 30) ? (1u << 30) : len;
        if (injected()) return kz_fail_errno(KZ_EIO, "cannot write %s", path);
        ssize_t w = write(fd, p, chunk);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return kz_fail_errno(KZ_EIO, "cannot write %s", path);
        p += w;
        len -= (size_t)w;
    }
    return KZ_OK;
}

static int sync_fd(int fd, const char *path)
{
    if (injected() || fsync(fd) != 0) return kz_fail_errno(KZ_EIO, "cannot sync %s", path);
    return KZ_OK;
}

int kz_file_write_new_pieces(const char *path, const kz_file_piece *pieces, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return kz_fail_errno(KZ_EIO, "cannot create %s", path);
    int rc = KZ_OK;
    for (size_t i = 0; i < n && rc == KZ_OK; i++)
        if (pieces[i].len > 0) rc = write_all(fd, pieces[i].data, pieces[i].len, path);
    if (rc == KZ_OK) rc = sync_fd(fd, path);
    if (close(fd) != 0 && rc == KZ_OK) rc = kz_fail_errno(KZ_EIO, "cannot close %s", path);
    if (rc < 0) unlink(path);
    return rc;
}

int kz_file_write_new(const char *path, const void *data, size_t len)
{
    const kz_file_piece one = {data, len};
    return kz_file_write_new_pieces(path, &one, 1);
}

int kz_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return kz_fail_errno(KZ_EIO, "cannot open directory %s", dir);
    int rc = sync_fd(fd, dir);
    close(fd);
    return rc;
}

int kz_file_replace(const char *dir, const char *name, const void *data, size_t len, int *renamed)
{
    if (renamed) *renamed = 0;
    char tmpname[KZ_FILE_NAME_MAX + 8];
    snprintf(tmpname, sizeof tmpname, "%s.tmp", name);
    char *tmp = kz_path_join(dir, tmpname);
    char *path = kz_path_join(dir, name);
    int rc = KZ_OK;
    if (tmp == NULL || path == NULL) {
        rc = KZ_ENOMEM;
        goto done;
    }
    unlink(tmp); /* a dead writer's leftover */
    KZ_CHECK(kz_file_write_new(tmp, data, len));
    if (injected() || rename(tmp, path) != 0) {
        rc = kz_fail_errno(KZ_EIO, "cannot rename %s to %s", tmp, path);
        unlink(tmp);
        goto done;
    }
    if (renamed) *renamed = 1;
    KZ_CHECK(kz_fsync_dir(dir));
done:
    free(tmp);
    free(path);
    return rc;
}
