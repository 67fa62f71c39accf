/* walk.c - finding the files to index: a sorted, loop-free directory walk, and file kinds.
 *
 * The walk is depth-first; the entries of each directory are read whole, then sorted byte-wise
 * (strcmp), so the order is the same on every file system and every run. The path of the entry
 * being visited lives in one growing buffer: a child's name is appended and cut off again after
 * the visit. Every directory entered is recorded by (device, inode) in a hash set, so a directory
 * reached a second time (only possible through a symbolic link: a loop, or two links to one
 * tree) is skipped with a warning; this bounds the walk by the number of distinct directories.
 * Problems with single entries are warnings (the walk goes on); only problems with the path the
 * caller gave are errors. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "source.h"

/* Open-addressing set of (device, inode) pairs; slots with used == 0 are empty. */
typedef struct dir_id {
    dev_t dev;
    ino_t ino;
    int used;
} dir_id;

typedef struct walker {
    kz_walk_fn fn;
    kz_walk_warn_fn warn_fn;
    void *ctx;
    kz_buf path; /* NUL-terminated path of the current entry */
    dir_id *seen;
    size_t seen_cap, seen_count;
} walker;

static void warn(walker *w, const char *fmt, ...) KZ_PRINTF(2, 3);
static void warn(walker *w, const char *fmt, ...)
{
    if (!w->warn_fn) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    char *msg = malloc((size_t)n + 1);
    if (!msg) {
        w->warn_fn(w->ctx, "out of memory while reporting a skipped entry");
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    w->warn_fn(w->ctx, msg);
    free(msg);
}

static size_t id_slot(const dir_id *set, size_t cap, dev_t dev, ino_t ino)
{
    uint64_t h = ((uint64_t)dev * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)ino * 0xC2B2AE3D27D4EB4Full);
    size_t i = (size_t)(h ^ (h >> 29)) & (cap - 1);
    while (set[i].used && !(set[i].dev == dev && set[i].ino == ino)) i = (i + 1) & (cap - 1);
    return i;
}

/* Adds (dev, ino) to the set of directories seen. Returns 1 if it was new, 0 if already there. */
static int mark_seen(walker *w, dev_t dev, ino_t ino)
{
    if (2 * (w->seen_count + 1) > w->seen_cap) {
        size_t cap = w->seen_cap ? 2 * w->seen_cap : 64;
        dir_id *set = calloc(cap, sizeof *set);
        if (!set) return KZ_ENOMEM_FAIL();
        for (size_t i = 0; i < w->seen_cap; i++)
            if (w->seen[i].used)
                set[id_slot(set, cap, w->seen[i].dev, w->seen[i].ino)] = w->seen[i];
        free(w->seen);
        w->seen = set;
        w->seen_cap = cap;
    }
    size_t i = id_slot(w->seen, w->seen_cap, dev, ino);
    if (w->seen[i].used) return 0;
    w->seen[i].dev = dev;
    w->seen[i].ino = ino;
    w->seen[i].used = 1;
    w->seen_count++;
    return 1;
}

static const char *kind_name(mode_t m)
{
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    return "not a regular file or directory";
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int visit(walker *w, const struct stat *st, int root);

/* Reads, sorts and visits the (non-hidden) entries of the directory at w->path. */
static int walk_dir(walker *w, int root)
{
    int rc = KZ_OK;
    char **names = NULL;
    size_t n = 0, cap = 0;
    DIR *d = opendir((const char *)w->path.data);
    if (!d) {
        if (root) return kz_fail_errno(KZ_EIO, "cannot read directory %s", w->path.data);
        warn(w, "%s: cannot read directory, skipped: %s", w->path.data, strerror(errno));
        return KZ_OK;
    }
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno) warn(w, "%s: error reading directory: %s", w->path.data, strerror(errno));
            break;
        }
        if (e->d_name[0] == '.') continue; /* ".", ".." and hidden entries such as .git */
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 32;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (!nn) {
                rc = KZ_ENOMEM_FAIL();
                goto done;
            }
            names = nn;
            cap = ncap;
        }
        if (!(names[n] = strdup(e->d_name))) {
            rc = KZ_ENOMEM_FAIL();
            goto done;
        }
        n++;
    }
    closedir(d);
    d = NULL;
    if (n) qsort(names, n, sizeof *names, cmp_names);
    size_t base = w->path.len;
    int slash = base > 0 && w->path.data[base - 1] == '/';
    for (size_t i = 0; i < n && rc == 0; i++) {
        w->path.len = base;
        if (!slash) KZ_CHECK(kz_buf_append_u8(&w->path, '/'));
        KZ_CHECK(kz_buf_append_str(&w->path, names[i]));
        struct stat st;
        if (lstat((const char *)w->path.data, &st) != 0) {
            warn(w, "%s: cannot read, skipped: %s", w->path.data, strerror(errno));
            continue;
        }
        rc = visit(w, &st, 0);
    }
    w->path.len = base;
    w->path.data[base] = '\0';
done:
    if (d) closedir(d);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

/* Visits w->path, whose lstat is st. */
static int visit(walker *w, const struct stat *lst, int root)
{
    struct stat st = *lst;
    const char *path = (const char *)w->path.data;
    if (S_ISLNK(st.st_mode) && stat(path, &st) != 0) {
        if (root)
            return kz_fail_errno(errno == ENOENT ? KZ_ENOTFOUND : KZ_EIO,
                                 "cannot follow symbolic link %s", path);
        if (errno == ENOENT)
            warn(w, "%s: dangling symbolic link, skipped", path);
        else
            warn(w, "%s: cannot follow symbolic link, skipped: %s", path, strerror(errno));
        return KZ_OK;
    }
    if (S_ISREG(st.st_mode)) {
        int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        return w->fn(w->ctx, path, (uint64_t)st.st_size, mtime);
    }
    if (S_ISDIR(st.st_mode)) {
        int fresh = mark_seen(w, st.st_dev, st.st_ino);
        if (fresh < 0) return fresh;
        if (!fresh) {
            warn(w, "%s: directory already visited (a symbolic link loop?), skipped", path);
            return KZ_OK;
        }
        return walk_dir(w, root);
    }
    if (root)
        return kz_fail(KZ_EINVAL, "%s is %s: give a file or a directory", path,
                       kind_name(st.st_mode));
    warn(w, "%s: %s, skipped", path, kind_name(st.st_mode));
    return KZ_OK;
}

int kz_walk(const char *path, kz_walk_fn fn, kz_walk_warn_fn warn_fn, void *ctx)
{
    if (!path || !*path || !fn) return kz_fail(KZ_EINVAL, "walk: no path or callback");
    walker w = {fn, warn_fn, ctx, KZ_BUF_INIT, NULL, 0, 0};
    int rc = kz_buf_append_str(&w.path, path);
    if (rc < 0) return rc;
    struct stat st;
    if (lstat(path, &st) != 0) {
        rc = kz_fail_errno(errno == ENOENT || errno == ENOTDIR ? KZ_ENOTFOUND : KZ_EIO,
                           "cannot read %s", path);
    } else {
        rc = visit(&w, &st, 1);
    }
    kz_buf_free(&w.path);
    free(w.seen);
    return rc;
}

/* Bytes in the head that a text file should not have: invalid UTF-8 and C0 controls other than
 * TAB, LF, VT, FF, CR and ESC (and DEL). A sequence cut by the end of the head is not counted.
 * Sets *nul if a NUL byte is seen. */
static size_t suspicious_bytes(const uint8_t *s, size_t n, int *nul)
{
    size_t bad = 0;
    *nul = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c < 0x80) {
            if (c == 0) *nul = 1;
            if ((c < 0x20 && !(c >= '\t' && c <= '\r') && c != 0x1B) || c == 0x7F) bad++;
            i++;
            continue;
        }
        size_t l = kz_utf8_valid_len(s + i, n - i);
        if (l) {
            i += l;
            continue;
        }
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2, k = 1;
        while (i + k < n && (s[i + k] & 0xC0) == 0x80) k++;
        if (c >= 0xC2 && c <= 0xF4 && i + k == n && k < need) break; /* cut by the head's end */
        bad++;
        i++;
    }
    return bad;
}

int kz_source_kind(const char *path, const uint8_t *head, size_t head_len)
{
    if (head_len > KZ_SOURCE_HEAD) head_len = KZ_SOURCE_HEAD;
    int nul;
    size_t bad = head ? suspicious_bytes(head, head_len, &nul) : (nul = 0, 0);
    if (nul || bad * 10 > head_len) return KZ_SOURCE_BINARY;
    size_t n = path ? strlen(path) : 0;
    static const char ext[] = ".jsonl";
    if (n >= 6) {
        int match = 1;
        for (size_t i = 0; i < 6; i++) {
            char c = path[n - 6 + i];
            if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
            if (c != ext[i]) match = 0;
        }
        if (match) return KZ_SOURCE_JSONL;
    }
    return KZ_SOURCE_TEXT;
}
