/* test_walk.c - the directory walk (order, hidden entries, symbolic links and loops, FIFOs,
 * dangling links, stopping, errors) and the classification of files as text, JSON Lines or
 * binary (checked against file(1) for real system files). */
#define _GNU_SOURCE /* unshare */
#include "../indexer/source.h"
#include "support.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct seen {
    kz_buf files;    /* "path size\n" for each file */
    kz_buf warnings; /* one message a line */
    int calls, stop_at;
    int64_t last_mtime;
} seen;

static int on_file(void *ctx, const char *path, uint64_t size, int64_t mtime_ns)
{
    seen *s = ctx;
    char line[64];
    kz_buf_append_str(&s->files, path);
    snprintf(line, sizeof line, " %llu\n", (unsigned long long)size);
    kz_buf_append_str(&s->files, line);
    s->last_mtime = mtime_ns;
    return ++s->calls == s->stop_at ? 7 : 0;
}

static void on_warning(void *ctx, const char *message)
{
    seen *s = ctx;
    kz_buf_append_str(&s->warnings, message);
    kz_buf_append_u8(&s->warnings, '\n');
}

static const char *text_of(kz_buf *b)
{
    kz_buf_terminate(b);
    return b->data ? (const char *)b->data : "";
}

static void put(const char *dir, const char *name, const char *content)
{
    char *p = kzt_path(dir, name);
    kzt_write_file(p, content, strlen(content));
    free(p);
}

static void mkdir_in(const char *dir, const char *name)
{
    char *p = kzt_path(dir, name);
    cr_assert_eq(mkdir(p, 0755), 0);
    free(p);
}

static void link_in(const char *dir, const char *name, const char *target)
{
    char *p = kzt_path(dir, name);
    cr_assert_eq(symlink(target, p), 0);
    free(p);
}

/* The tree used by the walk tests, under root/t (and root/outside, reached by a link). */
static char *make_tree(char **root)
{
    *root = kzt_tempdir();
    char *t = kzt_path(*root, "t");
    cr_assert_eq(mkdir(t, 0755), 0);
    put(t, "b.txt", "bb");
    put(t, "a.txt", "a");
    put(t, "A.txt", "AAA");
    mkdir_in(t, "a");
    put(t, "a/z.txt", "zzzz");
    mkdir_in(t, "sub");
    put(t, "sub/c.txt", "ccccc");
    put(t, "sub/.hidden.txt", "hidden");
    mkdir_in(t, ".git");
    put(t, ".git/config", "[core]");
    put(t, ".env", "SECRET=1");
    mkdir_in(t, "empty");
    link_in(t, "sub/loop", "..");
    link_in(t, "sub/self", ".");
    link_in(t, "link.txt", "sub/c.txt");
    link_in(t, "dangling", "does-not-exist");
    char *fifo = kzt_path(t, "fifo");
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    free(fifo);
    mkdir_in(*root, "outside");
    put(*root, "outside/o.txt", "oo");
    link_in(t, "linkdir", "../outside");
    return t;
}

Test(walk, files_come_in_sorted_order_without_hidden_entries)
{
    char *root;
    char *t = make_tree(&root);
    seen s = {KZ_BUF_INIT, KZ_BUF_INIT, 0, 0, 0};
    cr_assert_eq(kz_walk(t, on_file, on_warning, &s), KZ_OK, "%s", kz_errmsg());
    char expect[4096];
    snprintf(expect, sizeof expect,
             "%s/A.txt 3\n%s/a/z.txt 4\n%s/a.txt 1\n%s/b.txt 2\n%s/link.txt 5\n"
             "%s/linkdir/o.txt 2\n%s/sub/c.txt 5\n",
             t, t, t, t, t, t, t);
    cr_assert_str_eq(text_of(&s.files), expect);
    kz_buf_free(&s.files);
    kz_buf_free(&s.warnings);
    free(t);
    kzt_rmtree(root);
}

Test(walk, loops_dangling_links_and_fifos_are_warnings)
{
    char *root;
    char *t = make_tree(&root);
    seen s = {KZ_BUF_INIT, KZ_BUF_INIT, 0, 0, 0};
    cr_assert_eq(kz_walk(t, on_file, on_warning, &s), KZ_OK, "%s", kz_errmsg());
    char expect[4096];
    snprintf(expect, sizeof expect,
             "%s/dangling: dangling symbolic link, skipped\n"
             "%s/fifo: a FIFO, skipped\n"
             "%s/sub/loop: directory already visited (a symbolic link loop?), skipped\n"
             "%s/sub/self: directory already visited (a symbolic link loop?), skipped\n",
             t, t, t, t);
    cr_assert_str_eq(text_of(&s.warnings), expect);
    /* without a warning callback the walk is the same */
    seen quiet = {KZ_BUF_INIT, KZ_BUF_INIT, 0, 0, 0};
    cr_assert_eq(kz_walk(t, on_file, NULL, &quiet), KZ_OK);
    cr_assert_str_eq(text_of(&quiet.files), text_of(&s.files));
    kz_buf_free(&s.files);
    kz_buf_free(&s.warnings);
    kz_buf_free(&quiet.files);
    free(t);
    kzt_rmtree(root);
}

Test(walk, the_callback_can_stop_the_walk)
{
    char *root;
    char *t = make_tree(&root);
    seen s = {KZ_BUF_INIT, KZ_BUF_INIT, 0, 2, 0};
    cr_assert_eq(kz_walk(t, on_file, on_warning, &s), 7);
    cr_assert_eq(s.calls, 2);
    kz_buf_free(&s.files);
    kz_buf_free(&s.warnings);
    free(t);
    kzt_rmtree(root);
}

Test(walk, a_file_path_gives_its_size_and_mtime)
{
    char *root = kzt_tempdir();
    char *f = kzt_path(root, "one.txt");
    kzt_write_file(f, "hello\n", 6);
    struct timespec times[2] = {{1600000000, 123456789}, {1600000000, 123456789}};
    cr_assert_eq(utimensat(AT_FDCWD, f, times, 0), 0);
    seen s = {KZ_BUF_INIT, KZ_BUF_INIT, 0, 0, 0};
    cr_assert_eq(kz_walk(f, on_file, on_warning, &s), KZ_OK);
    char expect[1024];
    snprintf(expect, sizeof expect, "%s 6\n", f);
    cr_assert_str_eq(text_of(&s.files), expect);
    cr_assert_eq(s.last_mtime, 1600000000123456789ll);
    /* a hidden file or directory named by the caller is walked */
    char *h = kzt_path(root, ".hidden");
    cr_assert_eq(mkdir(h, 0755), 0);
    put(h, "x.txt", "x");
    seen s2 = {KZ_BUF_INIT, KZ_BUF_INIT, 0, 0, 0};
    cr_assert_eq(kz_walk(h, on_file, on_warning, &s2), KZ_OK);
    cr_assert_eq(s2.calls, 1);
    /* a trailing slash is not doubled */
    char *slash = malloc(strlen(h) + 2);
    sprintf(slash, "%s/", h);
    seen s3 = {KZ_BUF_INIT, KZ_BUF_INIT, 0, 0, 0};
    cr_assert_eq(kz_walk(slash, on_file, on_warning, &s3), KZ_OK);
    snprintf(expect, sizeof expect, "%s/x.txt 1\n", h);
    cr_assert_str_eq(text_of(&s3.files), expect);
    kz_buf_free(&s.files);
    kz_buf_free(&s2.files);
    kz_buf_free(&s3.files);
    free(slash);
    free(h);
    free(f);
    kzt_rmtree(root);
}

Test(walk, bad_root_paths_are_errors)
{
    char *root = kzt_tempdir();
    char *missing = kzt_path(root, "missing");
    seen s = {KZ_BUF_INIT, KZ_BUF_INIT, 0, 0, 0};
    cr_assert_eq(kz_walk(missing, on_file, on_warning, &s), KZ_ENOTFOUND);
    cr_assert(strstr(kz_errmsg(), missing), "%s", kz_errmsg());
    char *fifo = kzt_path(root, "fifo");
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    cr_assert_eq(kz_walk(fifo, on_file, on_warning, &s), KZ_EINVAL);
    cr_assert(strstr(kz_errmsg(), "FIFO"), "%s", kz_errmsg());
    char *dangling = kzt_path(root, "dangling");
    cr_assert_eq(symlink("nowhere", dangling), 0);
    cr_assert_eq(kz_walk(dangling, on_file, on_warning, &s), KZ_ENOTFOUND);
    cr_assert_eq(kz_walk("", on_file, on_warning, &s), KZ_EINVAL);
    cr_assert_eq(s.calls, 0);
    free(missing);
    free(fifo);
    free(dangling);
    kzt_rmtree(root);
}

/* Walks root, which holds ok.txt and an unreadable directory "locked", and checks the result;
 * returns 0 when all is as expected (it runs in a child process: see below). */
static int walk_locked(const char *root)
{
    seen s = {KZ_BUF_INIT, KZ_BUF_INIT, 0, 0, 0};
    int rc = kz_walk(root, on_file, on_warning, &s);
    int bad = rc != KZ_OK                                              ? 1
              : s.calls != 1                                           ? 2
              : !strstr(text_of(&s.warnings), "cannot read directory") ? 3
                                                                       : 0;
    kz_buf_free(&s.files);
    kz_buf_free(&s.warnings);
    return bad;
}

/* Tests run as root, for whom permissions are not enforced. So the walk runs in a child that
 * first enters a new user namespace: there it is an unprivileged user, and a directory with
 * mode 000 owned by the real root is unreadable. */
Test(walk, unreadable_directories_are_skipped_with_a_warning)
{
    char *root = kzt_tempdir();
    cr_assert_eq(chmod(root, 0755), 0);
    mkdir_in(root, "locked");
    put(root, "locked/x.txt", "x");
    put(root, "ok.txt", "ok");
    char *locked = kzt_path(root, "locked");
    cr_assert_eq(chmod(locked, 0), 0);
    int status = -1;
    if (geteuid() != 0) {
        status = walk_locked(root);
    } else {
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            if (unshare(CLONE_NEWUSER) != 0) _exit(100);
            _exit(walk_locked(root));
        }
        int ws;
        cr_assert_eq(waitpid(pid, &ws, 0), pid);
        cr_assert(WIFEXITED(ws));
        status = WEXITSTATUS(ws);
    }
    chmod(locked, 0755);
    free(locked);
    kzt_rmtree(root);
    if (status == 100) cr_skip_test("cannot enter a user namespace to drop root's privileges");
    cr_assert_eq(status, 0, "walk result %d (1: error, 2: wrong files, 3: no warning)", status);
}

static int kind(const char *path, const char *head, size_t len)
{
    return kz_source_kind(path, (const uint8_t *)head, len);
}

Test(walk, source_kinds_of_small_heads)
{
    cr_assert_eq(kind("a.txt", "", 0), KZ_SOURCE_TEXT);
    cr_assert_eq(kind("a.txt", "plain text\n", 11), KZ_SOURCE_TEXT);
    cr_assert_eq(kind("a.md", "\xe4\xb8\xad\xe6\x96\x87 text", 10), KZ_SOURCE_TEXT);
    cr_assert_eq(kind("a.txt", "nul\0byte", 8), KZ_SOURCE_BINARY);
    cr_assert_eq(kind("a.txt", "\xff\xfeh\0i\0", 6), KZ_SOURCE_BINARY); /* UTF-16 */
    cr_assert_eq(kind("a.png", "\x89PNG\r\n\x1a\n", 8), KZ_SOURCE_BINARY);
    cr_assert_eq(kind("d.jsonl", "{\"text\": \"x\"}\n", 14), KZ_SOURCE_JSONL);
    cr_assert_eq(kind("D.JSONL", "{}", 2), KZ_SOURCE_JSONL);
    cr_assert_eq(kind("d.jsonl.gz", "{}", 2), KZ_SOURCE_TEXT);
    cr_assert_eq(kind("d.jsonl", "\x1f\x8b\x08\0", 4), KZ_SOURCE_BINARY);
    const char *esc = "\x1b[1mbold\x1b[0m text";
    cr_assert_eq(kind("esc.txt", esc, strlen(esc)), KZ_SOURCE_TEXT);
    /* Latin-1 prose with a few accented letters is text; a head of mostly high bytes is not */
    const char *latin1 = "Le caf\xe9 est tr\xe8s bon, et la cr\xe8me aussi; on y va souvent.";
    cr_assert_eq(kind("fr.txt", latin1, strlen(latin1)), KZ_SOURCE_TEXT);
    const char *koi8 = "\xf0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2";
    cr_assert_eq(kind("ru.txt", koi8, strlen(koi8)), KZ_SOURCE_BINARY);
    /* a character cut by the end of the head does not count against the file */
    char head[KZ_SOURCE_HEAD];
    for (size_t i = 0; i + 3 <= sizeof head; i += 3) memcpy(head + i, "\xe4\xb8\xad", 3);
    head[sizeof head - 2] = '\xe4';
    head[sizeof head - 1] = '\xb8';
    cr_assert_eq(kind("zh.txt", head, sizeof head), KZ_SOURCE_TEXT);
    /* control characters count as suspicious */
    char ctl[100];
    memset(ctl, 'a', sizeof ctl);
    for (int i = 0; i < 11; i++) ctl[i * 9] = '\x02';
    cr_assert_eq(kind("c.txt", ctl, sizeof ctl), KZ_SOURCE_BINARY);
    for (int i = 0; i < 11; i++) ctl[i * 9] = (i < 9) ? '\x02' : 'a';
    cr_assert_eq(kind("c.txt", ctl, sizeof ctl), KZ_SOURCE_TEXT);
}

/* Real files, with file(1) as the reference: "binary" encoding <=> KZ_SOURCE_BINARY. */
Test(walk, source_kinds_agree_with_file_1)
{
    char *gz = kzt_run("ls /usr/share/doc/*/changelog.Debian.gz | head -1", NULL);
    gz[strcspn(gz, "\n")] = '\0';
    char seeds[512];
    snprintf(seeds, sizeof seeds, "%s/000_b1c0d4d6ffdd2b33.txt", kzt_seeds_dir());
    const char *paths[] = {"/bin/ls", "/usr/share/common-licenses/GPL-3", gz, seeds,
                           "/usr/share/unicode/UnicodeData.txt"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        if (access(paths[i], R_OK) != 0) continue;
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "file -b --mime-encoding '%s'", paths[i]);
        char *enc = kzt_run(cmd, NULL);
        int binary = strncmp(enc, "binary", 6) == 0;
        int fd = open(paths[i], O_RDONLY);
        cr_assert_geq(fd, 0);
        uint8_t head[KZ_SOURCE_HEAD];
        ssize_t n = read(fd, head, sizeof head);
        close(fd);
        cr_assert_geq(n, 0);
        int k = kz_source_kind(paths[i], head, (size_t)n);
        cr_assert_eq(k == KZ_SOURCE_BINARY, binary, "%s: file(1) says %s", paths[i], enc);
        free(enc);
    }
    free(gz);
}
