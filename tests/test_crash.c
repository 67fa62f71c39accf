/* test_crash.c - crash safety and the one-writer rule: a commit interrupted at any point (an
 * injected write, fsync or rename failure at each operation in turn, or SIGKILL at random
 * moments) leaves an index that opens, passes check, and equals either the state before or the
 * state after; a second writer is refused with KZ_ELOCKED while a killed writer blocks nothing
 * and its leftover files are ignored by readers; and an index directory copied or moved
 * elsewhere works unchanged. Also: a failed commit or a failed kz_writer_add_path can be retried
 * by the same writer without losing anything, and readers opening while a writer commits always
 * get a complete snapshot.
 *
 * "Equals" is the observable state of support_index.h: statistics and every hit of a query
 * set, with scores. The old and new states are computed on copies of the same starting index,
 * with no fault injected. */
#include "fileio.h"
#include "manifest.h"
#include "support.h"
#include "support_index.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NTEXTS 24

/* These tests commit hundreds of times, and what they check (which state a failed or killed
 * commit leaves) does not depend on fsync reaching a disk: on a shared CI disk the fsyncs
 * alone would take a minute. So they work in memory (tmpfs) when the system offers it. */
static void use_memory_tmpdir(void)
{
    struct stat st;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
        setenv("TMPDIR", "/dev/shm", 1);
}

TestSuite(crash, .init = use_memory_tmpdir);

/* The starting collection: texts in a few segments, committed. */
static void build_old(const char *dir, kzt_rng *r)
{
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.memory_budget = 8 * 1024;
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, &opts), KZ_OK, "%s", kz_errmsg());
    for (int i = 0; i < NTEXTS; i++) {
        char name[32];
        snprintf(name, sizeof name, "old-%02d", i);
        size_t len;
        char *t = kzt_random_text(r, 1 + (int)kzt_below(r, 4), &len);
        cr_assert_eq(kz_writer_add_text(w, name, t, len, NULL), KZ_OK, "%s", kz_errmsg());
        free(t);
        if (i % 8 == 7) cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    }
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
}

/* The changes of the commit under test: new files from a tree, new texts, replaced and removed
 * texts, with a budget small enough to flush segments while adding and to merge at commit. */
typedef struct changes {
    char *src;           /* a source tree to add */
    char *texts[NTEXTS]; /* new or replacing texts, by number; NULL: none */
    int remove[NTEXTS];  /* remove old-NN */
    int optimize;        /* optimize instead of commit */
} changes;

static void make_changes(changes *c, kzt_rng *r, int optimize)
{
    memset(c, 0, sizeof *c);
    c->src = kzt_tempdir();
    for (int i = 0; i < 6; i++) {
        char name[32];
        snprintf(name, sizeof name, "file%d.txt", i);
        char *path = kzt_path(c->src, name);
        size_t len;
        char *t = kzt_random_text(r, 2 + (int)kzt_below(r, 4), &len);
        kzt_write_file(path, t, len);
        free(t);
        free(path);
    }
    for (int i = 0; i < NTEXTS; i++) {
        uint32_t what = kzt_below(r, 4);
        if (what == 0) c->remove[i] = 1;
        if (what == 1) c->texts[i] = kzt_random_text(r, 1 + (int)kzt_below(r, 3), NULL);
    }
    c->optimize = optimize;
}

static void free_changes(changes *c)
{
    kzt_rmtree(c->src);
    for (int i = 0; i < NTEXTS; i++) free(c->texts[i]);
}

static kz_writer_options change_options(void)
{
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.memory_budget = 4 * 1024;
    return opts;
}

/* Applies the changes without committing; stops at the first failure and returns its status.
 * Uses no Criterion assertion, so that it can run in a child process. */
static int apply_changes(kz_writer *w, const changes *c)
{
    int rc = kz_writer_add_path(w, c->src, NULL, NULL);
    for (int i = 0; i < NTEXTS && rc == KZ_OK; i++) {
        char name[32];
        snprintf(name, sizeof name, "old-%02d", i);
        if (c->remove[i]) rc = kz_writer_remove_doc(w, name);
        if (rc == KZ_OK && c->texts[i])
            rc = kz_writer_add_text(w, name, c->texts[i], strlen(c->texts[i]), NULL);
        if (rc == KZ_OK && c->texts[i]) {
            snprintf(name, sizeof name, "new-%02d", i);
            rc = kz_writer_add_text(w, name, c->texts[i], strlen(c->texts[i]), NULL);
        }
    }
    return rc;
}

static int finish(kz_writer *w, const changes *c)
{
    return c->optimize ? kz_writer_optimize(w) : kz_writer_commit(w);
}

/* Applies the changes and commits. */
static int apply(kz_writer *w, const changes *c)
{
    int rc = apply_changes(w, c);
    return rc == KZ_OK ? finish(w, c) : rc;
}

/* Makes `to` a copy of the index `from` made of hard links: the writer never changes a file in
 * place (it creates new files and renames MANIFEST over), so `from` stays intact, and the
 * 8 MB dictionary is not copied for every fault point. */
static void reset_copy(const char *from, const char *to)
{
    char *cmd = malloc(2 * strlen(to) + strlen(from) + 32);
    cr_assert_not_null(cmd);
    sprintf(cmd, "rm -rf '%s' && cp -al '%s' '%s'", to, from, to);
    int status = -1;
    free(kzt_run(cmd, &status));
    cr_assert_eq(status, 0, "%s failed", cmd);
    free(cmd);
}

/* Files in dir that the manifest does not name, besides MANIFEST, LOCK and zh.dict. */
static int leftovers(const char *dir)
{
    kz_manifest m = {0};
    cr_assert_eq(kz_manifest_read(&m, dir), KZ_OK, "%s", kz_errmsg());
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *f = e->d_name;
        if (!strcmp(f, ".") || !strcmp(f, "..") || !strcmp(f, "MANIFEST") || !strcmp(f, "LOCK") ||
            !strcmp(f, "zh.dict"))
            continue;
        int named = 0;
        for (uint32_t i = 0; i < m.nsegments && !named; i++) {
            char name[KZ_FILE_NAME_MAX];
            kz_segment_file_name(name, m.segments[i].id);
            named = !strcmp(name, f);
            if (!named && m.segments[i].deletes_gen) {
                kz_deletes_file_name(name, m.segments[i].id, m.segments[i].deletes_gen);
                named = !strcmp(name, f);
            }
        }
        n += !named;
    }
    closedir(d);
    kz_manifest_free(&m);
    return n;
}

typedef struct fixture {
    char *base; /* the old index, never changed */
    char *work; /* scratch copy */
    kzt_state old_state, new_state;
    changes c;
} fixture;

static void setup_fixture(fixture *f, uint64_t seed, int optimize)
{
    kzt_rng r = {seed};
    f->base = kzt_tempdir();
    build_old(f->base, &r);
    make_changes(&f->c, &r, optimize);
    f->work = malloc(strlen(f->base) + 8);
    cr_assert_not_null(f->work);
    sprintf(f->work, "%s-work", f->base);
    cr_assert_eq(kzt_state_take(&f->old_state, f->base), KZ_OK, "%s", kz_errmsg());
    reset_copy(f->base, f->work);
    kz_writer_options opts = change_options();
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, f->work, &opts), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(apply(w, &f->c), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
    cr_assert_eq(kzt_state_take(&f->new_state, f->work), KZ_OK, "%s", kz_errmsg());
    char why[256];
    cr_assert(!kzt_state_equal(&f->old_state, &f->new_state, 0, why, sizeof why),
              "the changes should be visible");
}

static void teardown_fixture(fixture *f)
{
    kzt_state_free(&f->old_state);
    kzt_state_free(&f->new_state);
    free_changes(&f->c);
    kzt_rmtree(f->work);
    kzt_rmtree(f->base);
}

/* The index in dir opens, passes check, equals the old or the new state; returns 1 for new. */
static int old_or_new(const fixture *f, const char *dir, const char *what)
{
    int rc = kz_index_check(dir);
    cr_assert_eq(rc, KZ_OK, "%s: check fails: %s", what, kz_errmsg());
    kzt_state s;
    rc = kzt_state_take(&s, dir);
    cr_assert_eq(rc, KZ_OK, "%s: index does not open: %s", what, kz_errmsg());
    char why_old[512], why_new[512];
    int is_old = kzt_state_equal(&s, &f->old_state, 0, why_old, sizeof why_old);
    int is_new = kzt_state_equal(&s, &f->new_state, 0, why_new, sizeof why_new);
    cr_assert(is_old || is_new, "%s: neither old (%s) nor new (%s)", what, why_old, why_new);
    kzt_state_free(&s);
    return is_new;
}

/* After a failure, the next writer opens, cleans up and finishes the job. */
static void recover(const fixture *f, const char *what)
{
    kz_writer_options opts = change_options();
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, f->work, &opts), KZ_OK, "%s: %s", what, kz_errmsg());
    cr_assert_eq(apply(w, &f->c), KZ_OK, "%s: %s", what, kz_errmsg());
    kz_writer_close(w);
    cr_assert_eq(old_or_new(f, f->work, what), 1, "%s: recovery did not give the new state", what);
    cr_assert_eq(leftovers(f->work), 0, "%s: files left that no manifest names", what);
}

static void fail_at_every_point(uint64_t seed, int optimize)
{
    fixture f;
    setup_fixture(&f, seed, optimize);
    long n = 0;
    int news = 0;
    for (;; n++) {
        cr_assert_lt(n, 10000, "the commit never succeeds");
        reset_copy(f.base, f.work);
        kz_writer_options opts = change_options();
        kz_writer *w = NULL;
        cr_assert_eq(kz_writer_open(&w, f.work, &opts), KZ_OK, "%s", kz_errmsg());
        kz_fileio_fail_after(n);
        int rc = apply(w, &f.c);
        kz_fileio_fail_after(-1);
        kz_writer_close(w);
        char what[64];
        snprintf(what, sizeof what, "failure after %ld operations", n);
        if (rc == KZ_OK) {
            cr_assert_eq(old_or_new(&f, f.work, what), 1, "a successful commit must be visible");
            break;
        }
        cr_assert_eq(rc, KZ_EIO, "%s: status %d (%s)", what, rc, kz_errmsg());
        cr_assert(strstr(kz_errmsg(), f.work) != NULL, "%s: message %s does not name the file",
                  what, kz_errmsg());
        int is_new = old_or_new(&f, f.work, what);
        news += is_new;
        /* Recovery costs a whole commit: check it at a third of the points (the suite must
           stay quick under the sanitizers), and wherever the failure left the new state. */
        if (n % 3 == 0 || is_new) recover(&f, what);
    }
    cr_assert_geq(n, 6, "only %ld operations: the changes should flush, merge and commit", n);
    cr_log_info("seed %llu: %ld fault points, %d of them after the switch",
                (unsigned long long)seed, n, news);
    teardown_fixture(&f);
}

Test(crash, a_write_fsync_or_rename_failing_at_any_point_of_a_commit_leaves_old_or_new)
{
    fail_at_every_point(1, 0);
}

/* A commit that failed can be retried by the same writer: nothing buffered is lost. */
static void retry_at_every_point(uint64_t seed, int optimize)
{
    fixture f;
    setup_fixture(&f, seed, optimize);
    for (long n = 0;; n++) {
        cr_assert_lt(n, 10000, "the commit never succeeds");
        reset_copy(f.base, f.work);
        kz_writer *w = NULL;
        cr_assert_eq(kz_writer_open(&w, f.work, NULL), KZ_OK, "%s", kz_errmsg());
        cr_assert_eq(apply_changes(w, &f.c), KZ_OK, "%s", kz_errmsg());
        kz_fileio_fail_after(n);
        int rc = finish(w, &f.c);
        kz_fileio_fail_after(-1);
        int failed = rc != KZ_OK;
        char what[80];
        snprintf(what, sizeof what, "commit retried after a failure after %ld operations", n);
        if (failed) { /* (the state after the failure is checked by the tests above) */
            rc = finish(w, &f.c);
            cr_assert_eq(rc, KZ_OK, "%s: %s", what, kz_errmsg());
        }
        kz_writer_close(w);
        cr_assert_eq(old_or_new(&f, f.work, what), 1, "%s: changes were lost", what);
        if (!failed) break;
    }
    teardown_fixture(&f);
}

Test(crash, a_commit_that_failed_can_be_retried_by_the_same_writer)
{
    retry_at_every_point(6, 0);
    retry_at_every_point(7, 1);
}

Test(crash, a_failure_at_any_point_of_an_optimize_leaves_old_or_new)
{
    fail_at_every_point(3, 1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the changes in a child process on f->work, killing it after delay seconds (never, if
 * delay < 0). Returns the child's run time when it finished by itself, else -1. */
static double run_child(const fixture *f, double delay)
{
    double t0 = now();
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        kz_writer_options opts = change_options();
        kz_writer *w = NULL;
        int rc = kz_writer_open(&w, f->work, &opts);
        if (rc == KZ_OK) rc = apply(w, &f->c);
        kz_writer_close(w);
        _exit(rc == KZ_OK ? 0 : 1);
    }
    if (delay >= 0) {
        struct timespec ts = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) return -1;
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer child failed");
    return now() - t0;
}

#define KILLS 10

Test(crash, a_writer_killed_at_random_moments_leaves_old_or_new)
{
    fixture f;
    setup_fixture(&f, 5, 0);
    reset_copy(f.base, f.work);
    double full = run_child(&f, -1);
    cr_assert_gt(full, 0);
    kzt_rng r = {55};
    int killed = 0, news = 0;
    for (int i = 0; i < KILLS; i++) {
        reset_copy(f.base, f.work);
        double delay = full * (double)kzt_below(&r, 1000) / 1000.0;
        double ran = run_child(&f, delay);
        killed += ran < 0;
        char what[64];
        snprintf(what, sizeof what, "writer killed after %.4f s", delay);
        news += old_or_new(&f, f.work, what);
        recover(&f, what);
    }
    cr_log_info("%d of %d writers killed, %d left the new state", killed, KILLS, news);
    teardown_fixture(&f);
}

Test(crash, a_second_writer_is_refused_with_elocked)
{
    char *dir = kzt_tempdir();
    kz_writer *w = NULL, *w2 = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, NULL), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_open(&w2, dir, NULL), KZ_ELOCKED);
    cr_assert_null(w2);
    cr_assert(strstr(kz_errmsg(), dir) != NULL && strstr(kz_errmsg(), "writer") != NULL,
              "message should name the index and the other writer: %s", kz_errmsg());
    /* From another process too. */
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        kz_writer *w3 = NULL;
        int rc = kz_writer_open(&w3, dir, NULL);
        kz_writer_close(w3);
        _exit(rc == KZ_ELOCKED ? 0 : 1);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "another process got the lock");
    /* Readers are not blocked by the writer. */
    cr_assert_eq(kz_writer_add_text(w, "a", "hello world", 11, NULL), KZ_OK);
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_index *ix = NULL;
    cr_assert_eq(kz_index_open(&ix, dir), KZ_OK, "%s", kz_errmsg());
    kz_index_close(ix);
    kz_writer_close(w);
    cr_assert_eq(kz_writer_open(&w2, dir, NULL), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w2);
    kzt_rmtree(dir);
}

Test(crash, a_killed_writer_blocks_nothing_and_readers_ignore_its_leftovers)
{
    kzt_rng r = {8};
    char *dir = kzt_tempdir();
    build_old(dir, &r);
    kzt_state before;
    cr_assert_eq(kzt_state_take(&before, dir), KZ_OK, "%s", kz_errmsg());
    int pipefd[2];
    cr_assert_eq(pipe(pipefd), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        /* Adds texts until a segment has been flushed, says so, and waits to be killed. */
        kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
        opts.memory_budget = 2048;
        kz_writer *w = NULL;
        if (kz_writer_open(&w, dir, &opts) != KZ_OK) _exit(1);
        kzt_rng cr = {9};
        for (int i = 0; i < 20; i++) {
            char name[32];
            snprintf(name, sizeof name, "child-%d", i);
            size_t len;
            char *t = kzt_random_text(&cr, 3, &len);
            if (kz_writer_add_text(w, name, t, len, NULL) != KZ_OK) _exit(1);
            free(t);
        }
        if (write(pipefd[1], "x", 1) != 1) _exit(1);
        for (;;) pause();
    }
    close(pipefd[1]);
    char c;
    cr_assert_eq(read(pipefd[0], &c, 1), 1, "the writer child failed");
    close(pipefd[0]);
    cr_assert_gt(leftovers(dir), 0, "the child should have flushed uncommitted segments");
    kill(pid, SIGKILL);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status));
    /* Readers see the committed state only, leftovers and all. */
    cr_assert_gt(leftovers(dir), 0);
    cr_assert_eq(kz_index_check(dir), KZ_OK, "%s", kz_errmsg());
    kzt_state after;
    cr_assert_eq(kzt_state_take(&after, dir), KZ_OK, "%s", kz_errmsg());
    char why[512];
    cr_assert(kzt_state_equal(&before, &after, 1, why, sizeof why), "%s", why);
    /* The next writer is not blocked, removes the leftovers and commits. */
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, NULL), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(leftovers(dir), 0);
    cr_assert_eq(kz_writer_add_text(w, "later", "searching later", 15, NULL), KZ_OK);
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
    kz_index *ix = NULL;
    kz_index_stats st;
    cr_assert_eq(kz_index_open(&ix, dir), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_index_stats_get(&st, ix), KZ_OK);
    cr_assert_eq(st.documents, before.stats.documents + 1);
    kz_index_close(ix);
    kzt_state_free(&before);
    kzt_state_free(&after);
    kzt_rmtree(dir);
}

Test(crash, an_index_copied_or_moved_elsewhere_gives_the_same_results)
{
    kzt_rng r = {10};
    char *dir = kzt_tempdir();
    build_old(dir, &r);
    kzt_state orig, copied, moved;
    cr_assert_eq(kzt_state_take(&orig, dir), KZ_OK, "%s", kz_errmsg());
    char *copy = malloc(strlen(dir) + 8), *dest = malloc(strlen(dir) + 8);
    cr_assert(copy && dest);
    sprintf(copy, "%s-copy", dir);
    sprintf(dest, "%s-moved", dir);
    kzt_copy_dir(dir, copy);
    cr_assert_eq(kz_index_check(copy), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kzt_state_take(&copied, copy), KZ_OK, "%s", kz_errmsg());
    char why[512];
    cr_assert(kzt_state_equal(&orig, &copied, 1, why, sizeof why), "copy: %s", why);
    cr_assert_eq(rename(dir, dest), 0);
    cr_assert_eq(kz_index_check(dest), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kzt_state_take(&moved, dest), KZ_OK, "%s", kz_errmsg());
    cr_assert(kzt_state_equal(&orig, &moved, 1, why, sizeof why), "moved: %s", why);
    /* The moved index takes more changes. */
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dest, NULL), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_remove_doc(w, "old-00"), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
    cr_assert_eq(kz_index_check(dest), KZ_OK, "%s", kz_errmsg());
    kzt_state_free(&orig);
    kzt_state_free(&copied);
    kzt_state_free(&moved);
    kzt_rmtree(copy);
    kzt_rmtree(dest);
    free(dir);
}

/* Readers opening while a writer commits (merging, and removing the files of merged-away
 * segments) always get a complete snapshot: every commit keeps the number of documents, so
 * every snapshot must have exactly that many. */
Test(crash, readers_opening_during_commits_see_complete_snapshots)
{
    enum { DOCS = 12, COMMITS = 40 };
    char *dir = kzt_tempdir();
    kzt_rng r = {12};
    const char *names[DOCS];
    char *texts[DOCS];
    char namebuf[DOCS][16];
    for (int i = 0; i < DOCS; i++) {
        snprintf(namebuf[i], sizeof namebuf[i], "doc-%d", i);
        names[i] = namebuf[i];
        texts[i] = kzt_random_text(&r, 2, NULL);
    }
    kzt_build_texts(dir, NULL, DOCS, names, (const char *const *)texts);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        /* Each commit replaces one document by a new one: the count stays DOCS. */
        kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
        opts.memory_budget = 2048;
        for (int c = 0; c < COMMITS; c++) {
            kz_writer *w = NULL;
            if (kz_writer_open(&w, dir, &opts) != KZ_OK) _exit(1);
            /* doc-c replaces doc-(c - DOCS), or itself in the first round. */
            char name[32], old[32];
            snprintf(name, sizeof name, "doc-%d", c);
            snprintf(old, sizeof old, "doc-%d", c < DOCS ? c : c - DOCS);
            if (kz_writer_remove_doc(w, old) != KZ_OK) _exit(2);
            if (kz_writer_add_text(w, name, texts[c % DOCS], strlen(texts[c % DOCS]), NULL) !=
                KZ_OK)
                _exit(3);
            if (kz_writer_commit(w) != KZ_OK) _exit(4);
            kz_writer_close(w);
        }
        _exit(0);
    }
    int status = 0, opens = 0;
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        kz_index *ix = NULL;
        int rc = kz_index_open(&ix, dir);
        cr_assert_eq(rc, KZ_OK, "open during a commit: %s", kz_errmsg());
        kz_index_stats st;
        kz_index_stats_get(&st, ix);
        cr_assert_eq(st.documents, DOCS, "a snapshot with %llu documents",
                     (unsigned long long)st.documents);
        kz_results *res = NULL;
        kz_search_options so = KZ_SEARCH_OPTIONS_INIT;
        cr_assert_eq(kz_search(&res, ix, "search", 6, &so), KZ_OK, "%s", kz_errmsg());
        kz_results_free(res);
        kz_index_close(ix);
        opens++;
        if (done == pid) break;
    }
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer child failed (%d)",
              WEXITSTATUS(status));
    cr_assert_eq(kz_index_check(dir), KZ_OK, "%s", kz_errmsg());
    cr_log_info("%d snapshots opened during %d commits", opens, COMMITS);
    for (int i = 0; i < DOCS; i++) free(texts[i]);
    kzt_rmtree(dir);
}

/* A JSON Lines file of 40 records in tree src (returned, malloc'd). */
static char *records_tree(void)
{
    kzt_rng r = {31};
    char *src = kzt_tempdir();
    kz_buf lines = KZ_BUF_INIT;
    for (int l = 0; l < 40; l++) {
        char *t = kzt_random_text(&r, 1, NULL);
        char head[64];
        snprintf(head, sizeof head, "{\"id\": \"rec-%d\", \"text\": \"", l);
        kz_buf_append_str(&lines, head);
        kz_buf_append_str(&lines, t);
        kz_buf_append_str(&lines, "\"}\n");
        free(t);
    }
    char *path = kzt_path(src, "records.jsonl");
    kzt_write_file(path, lines.data, lines.len);
    free(path);
    kz_buf_free(&lines);
    return src;
}

/* kz_writer_add_path failing part-way through a JSON Lines file (a flush between its records
 * fails); then either (second) the same writer walks the tree again and commits, or (first)
 * the writer commits at once and a later writer walks the tree again. Both must end with the
 * whole file indexed, as a fresh build has it. */
Test(crash, an_add_that_failed_part_way_is_completed_by_the_next_walk)
{
    char *src = records_tree();
    char *fresh = kzt_tempdir();
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, fresh, NULL), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_add_path(w, src, NULL, NULL), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
    kzt_state want;
    cr_assert_eq(kzt_state_take(&want, fresh), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(want.stats.documents, 40);
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.memory_budget = 2048; /* a flush every few records */
    for (int commit_first = 0; commit_first < 2; commit_first++) {
        for (long n = 0; n < 6; n += 2) {
            char *dir = kzt_tempdir();
            cr_assert_eq(kz_writer_open(&w, dir, &opts), KZ_OK, "%s", kz_errmsg());
            kz_fileio_fail_after(n);
            int rc = kz_writer_add_path(w, src, NULL, NULL);
            kz_fileio_fail_after(-1);
            cr_assert_eq(rc, KZ_EIO, "the add should fail after %ld operations", n);
            if (commit_first) {
                cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
                kz_writer_close(w);
                cr_assert_eq(kz_writer_open(&w, dir, &opts), KZ_OK, "%s", kz_errmsg());
            }
            cr_assert_eq(kz_writer_add_path(w, src, NULL, NULL), KZ_OK, "%s", kz_errmsg());
            cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
            kz_writer_close(w);
            kzt_state got;
            cr_assert_eq(kzt_state_take(&got, dir), KZ_OK, "%s", kz_errmsg());
            char why[512];
            cr_assert(kzt_state_equal(&got, &want, 0, why, sizeof why),
                      "walk %s after a failure after %ld operations: %s",
                      commit_first ? "by the next writer" : "retried", n, why);
            kzt_state_free(&got);
            kzt_rmtree(dir);
        }
    }
    kzt_state_free(&want);
    kzt_rmtree(fresh);
    kzt_rmtree(src);
}

/* An index opened before a commit keeps answering from its snapshot after the writer replaced
 * and removed every file it had open. */
Test(crash, an_open_index_keeps_its_snapshot_while_a_writer_replaces_its_files)
{
    kzt_rng r = {14};
    char *dir = kzt_tempdir();
    build_old(dir, &r);
    kzt_state before;
    cr_assert_eq(kzt_state_take(&before, dir), KZ_OK, "%s", kz_errmsg());
    kz_index *ix = NULL;
    cr_assert_eq(kz_index_open(&ix, dir), KZ_OK, "%s", kz_errmsg());
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, NULL), KZ_OK, "%s", kz_errmsg());
    for (int i = 0; i < NTEXTS; i += 2) {
        char name[32];
        snprintf(name, sizeof name, "old-%02d", i);
        cr_assert_eq(kz_writer_remove_doc(w, name), KZ_OK, "%s", kz_errmsg());
    }
    cr_assert_eq(kz_writer_optimize(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
    cr_assert_eq(leftovers(dir), 0);
    /* Every segment file the snapshot mapped is gone now (optimize rewrote everything). */
    kz_index_stats st;
    cr_assert_eq(kz_index_stats_get(&st, ix), KZ_OK);
    cr_assert_eq(st.documents, before.stats.documents);
    kz_search_options opts = KZ_SEARCH_OPTIONS_INIT;
    opts.k = 5000;
    for (size_t q = 0; q < kzt_nqueries; q++) {
        kz_results *res = NULL;
        cr_assert_eq(kz_search(&res, ix, kzt_queries[q], strlen(kzt_queries[q]), &opts), KZ_OK,
                     "%s", kz_errmsg());
        cr_assert_eq(kz_results_count(res), before.nhits[q], "%s", kzt_queries[q]);
        if (before.nhits[q] > 0)
            cr_assert_eq(kz_results_hit(res, 0)->score, before.hits[q][0].score, "%s",
                         kzt_queries[q]);
        for (size_t i = 0; i < kz_results_count(res); i++) {
            const kz_hit *h = kz_results_hit(res, i);
            cr_assert_eq(strlen(h->text), h->text_len);
        }
        kz_results_free(res);
    }
    kz_index_close(ix);
    kzt_state after;
    cr_assert_eq(kzt_state_take(&after, dir), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(after.stats.documents, before.stats.documents - NTEXTS / 2);
    kzt_state_free(&before);
    kzt_state_free(&after);
    kzt_rmtree(dir);
}
