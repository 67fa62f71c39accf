/* file.c - reading a whole file (see file.h). */
#include "file.h"

#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int kz_file_read_all(const char *path, size_t max, const char *what, uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kz_fail_errno(errno == ENOENT ? KZ_ENOTFOUND : KZ_EIO, "cannot open %s %s", what,
                             path);
    int rc = KZ_OK;
    uint8_t *buf = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = kz_fail_errno(KZ_EIO, "cannot stat %s", path);
        goto done;
    }
    size_t size = (size_t)st.st_size;
    if (size > max) {
        rc = kz_fail(KZ_ECORRUPT, "%s is too large to be a %s (%zu bytes)", path, what, size);
        goto done;
    }
    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = kz_fail_errno(KZ_EIO, "cannot read %s", path);
            goto done;
        }
        if (r == 0) break; /* the file shrank: what was read is what there is */
        got += (size_t)r;
    }
    *data = buf;
    *len = got;
    buf = NULL;
done:
    free(buf);
    close(fd);
    return rc;
}
