/* test_damage.c - a damaged index is reported, never trusted blindly and never a crash: bytes
 * flipped at a few hundred offsets spread over every file and every section of the segments,
 * files truncated at many lengths, and files missing.
 *
 * For each damage, kz_index_check must return KZ_ECORRUPT (or another error for a missing or
 * unreadable file), except when the flip hit bytes nothing reads (padding): a check that passes
 * is accepted only if the index still answers every query of the set exactly as before. Then
 * the index is opened and searched anyway: that must give an error or results, and never a
 * crash or an out-of-bounds read (the suite runs under ASan in CI). Section checksums are
 * verified by check, not by every search, so a search on a damaged posting list may rank
 * differently; those cases are counted and logged, not failed. */
#include "manifest.h"
#include "segment.h"
#include "support.h"
#include "support_index.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The damaged copy is probed with a few queries only: every open validates the 8 MB Chinese
 * dictionary, and the suite must stay quick. */
static const char *const probes[] = {"search", "\"quick brown\"", "ind*", "哈萨克斯坦 поиск"};
#define NPROBES (sizeof probes / sizeof *probes)

typedef struct damage_ctx {
    char *dir;            /* the damaged copy */
    kzt_state good;       /* the undamaged state, full query set */
    kzt_state good_probe; /* the undamaged state, probes only */
    int flips, detected, harmless, wrong_results, search_errors;
} damage_ctx;

/* A good index of three segments (one a commit), one with a deletion file. */
static char *build_index(void)
{
    char *dir = kzt_tempdir();
    kzt_rng r = {77};
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, NULL), KZ_OK, "%s", kz_errmsg());
    for (int i = 0; i < 12; i++) {
        if (i % 4 == 0) cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
        char name[32];
        snprintf(name, sizeof name, "doc-%02d", i);
        size_t len;
        char *t = kzt_random_text(&r, 2 + (int)kzt_below(&r, 4), &len);
        kz_doc_meta meta = {"A title", "2021-05-06", "en", "{\"k\": 1}"};
        cr_assert_eq(kz_writer_add_text(w, name, t, len, &meta), KZ_OK, "%s", kz_errmsg());
        free(t);
    }
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_remove_doc(w, "doc-01"), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
    return dir;
}

static void setup(damage_ctx *c)
{
    memset(c, 0, sizeof *c);
    char *good = build_index();
    c->dir = malloc(strlen(good) + 8);
    cr_assert_not_null(c->dir);
    sprintf(c->dir, "%s-bad", good);
    kzt_copy_dir(good, c->dir);
    kzt_rmtree(good);
    cr_assert_eq(kz_index_check(c->dir), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kzt_state_take(&c->good, c->dir), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kzt_state_take_queries(&c->good_probe, c->dir, probes, NPROBES), KZ_OK);
    cr_assert_gt(c->good.stats.segments, 1u);
}

static void teardown(damage_ctx *c)
{
    cr_log_info("%d flips: %d detected by check, %d harmless, %d searches gave other results "
                "without an error, %d searches failed cleanly",
                c->flips, c->detected, c->harmless, c->wrong_results, c->search_errors);
    kzt_state_free(&c->good);
    kzt_state_free(&c->good_probe);
    kzt_rmtree(c->dir);
}

/* The files of the index: segments, deletion files, MANIFEST and zh.dict. */
static size_t list_files(const char *dir, char names[][64], size_t max)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "LOCK") == 0) continue;
        cr_assert_lt(strlen(e->d_name), (size_t)64);
        memcpy(names[n++], e->d_name, strlen(e->d_name) + 1);
    }
    closedir(d);
    return n;
}

/* After a damage: check, then open and search; nothing may crash. what names the damage. */
static void probe(damage_ctx *c, const char *file, const char *what, int may_be_harmless)
{
    int rc = kz_index_check(c->dir);
    if (rc == KZ_OK) {
        cr_assert(may_be_harmless, "%s in %s: check passes", what, file);
        /* Accepted only if nothing a user sees changed. */
        kzt_state s;
        int st = kzt_state_take(&s, c->dir);
        cr_assert_eq(st, KZ_OK, "%s in %s: check passes but search fails: %s", what, file,
                     kz_errmsg());
        char why[512];
        cr_assert(kzt_state_equal(&s, &c->good, 1, why, sizeof why),
                  "%s in %s: check passes but the index answers differently: %s", what, file, why);
        kzt_state_free(&s);
        c->harmless++;
        return;
    }
    cr_assert(rc == KZ_ECORRUPT || rc == KZ_ENOTFOUND || rc == KZ_EIO,
              "%s in %s: check returns %d (%s)", what, file, rc, kz_errmsg());
    /* The message names the damaged file (a missing MANIFEST: there is no index, it says). */
    const char *named = strcmp(file, "MANIFEST") == 0 && rc == KZ_ENOTFOUND ? c->dir : file;
    cr_assert(strstr(kz_errmsg(), named) != NULL,
              "%s in %s: the message does not name the file: %s", what, file, kz_errmsg());
    c->detected++;
    kzt_state s;
    int st = kzt_state_take_queries(&s, c->dir, probes, NPROBES);
    if (st != KZ_OK) {
        cr_assert(st < 0 && st != KZ_ENOMEM && kz_errmsg()[0] != '\0',
                  "%s in %s: search status %d (%s)", what, file, st, kz_errmsg());
        c->search_errors++;
        return;
    }
    char why[512];
    if (!kzt_state_equal(&s, &c->good_probe, 0, why, sizeof why)) {
        c->wrong_results++;
        cr_log_info("%s in %s: check fails, search answers differently: %s", what, file, why);
    }
    kzt_state_free(&s);
}

static void flip_at(damage_ctx *c, const char *file, uint64_t off, uint8_t mask, int harmless_ok)
{
    char *path = kzt_path(c->dir, file);
    int fd = open(path, O_RDWR);
    cr_assert_geq(fd, 0);
    uint8_t byte;
    cr_assert_eq(pread(fd, &byte, 1, (off_t)off), 1);
    uint8_t bad = byte ^ mask;
    cr_assert_eq(pwrite(fd, &bad, 1, (off_t)off), 1);
    close(fd);
    char what[96];
    snprintf(what, sizeof what, "byte %llu ^ 0x%02x", (unsigned long long)off, mask);
    c->flips++;
    probe(c, file, what, harmless_ok);
    fd = open(path, O_RDWR);
    cr_assert_eq(pwrite(fd, &byte, 1, (off_t)off), 1);
    close(fd);
    free(path);
}

static uint64_t file_size(const char *dir, const char *file)
{
    char *path = kzt_path(dir, file);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    free(path);
    return (uint64_t)st.st_size;
}

/* Offsets to damage in a segment: the header, every section (first, last and random bytes),
 * the section table and the footer. */
static size_t segment_offsets(const char *dir, const char *file, kzt_rng *r, uint64_t *out,
                              size_t max)
{
    char *path = kzt_path(dir, file);
    kz_segment *seg = NULL;
    unsigned long long id = 0;
    cr_assert_eq(sscanf(file, "seg-%llu.kzs", &id), 1);
    cr_assert_eq(kz_segment_open(&seg, path, id), KZ_OK, "%s", kz_errmsg());
    size_t n = 0;
    uint64_t size = seg->map_len;
    for (uint64_t o = 0; o < KZ_SEG_HEADER_BYTES && n < max; o += 3) out[n++] = o;
    uint64_t table_end = 0;
    for (int s = 1; s < KZ_SEC_COUNT; s++) {
        const kz_section *sec = &seg->sections[s];
        if (sec->length == 0) continue;
        uint64_t end = sec->offset + sec->length;
        if (end > table_end) table_end = end;
        if (n + 10 > max) break;
        out[n++] = sec->offset;
        out[n++] = end - 1;
        for (int k = 0; k < 8; k++) out[n++] = sec->offset + kzt_rand(r) % sec->length;
    }
    /* The table and footer: everything after the last section. */
    for (uint64_t o = table_end; o < size && n < max; o += 5) out[n++] = o;
    kz_segment_close(seg);
    free(path);
    return n;
}

Test(damage, flipped_bytes_in_every_section_are_reported_or_harmless)
{
    damage_ctx c;
    setup(&c);
    kzt_rng r = {4242};
    char files[32][64];
    size_t nfiles = list_files(c.dir, files, 32);
    int segments = 0;
    for (size_t f = 0; f < nfiles; f++) {
        if (strncmp(files[f], "seg-", 4) != 0) continue;
        /* Two segments in full, the others lightly: the sections are alike. */
        uint64_t offs[160];
        size_t n = segment_offsets(c.dir, files[f], &r, offs, segments < 2 ? 160 : 40);
        segments++;
        for (size_t i = 0; i < n; i++)
            flip_at(&c, files[f], offs[i], (uint8_t)(1u << kzt_below(&r, 8)), 1);
    }
    cr_assert_geq(segments, 2);
    teardown(&c);
}

/* META's fields are trusted by every query, and the pair threshold by phrases (a wrong one would
 * make a phrase miss its passages silently): opening refuses a changed META, not only check. */
Test(damage, a_changed_meta_is_refused_at_open)
{
    damage_ctx c;
    setup(&c);
    char files[32][64];
    size_t nfiles = list_files(c.dir, files, 32);
    const char *file = NULL;
    for (size_t f = 0; f < nfiles && file == NULL; f++)
        if (strncmp(files[f], "seg-", 4) == 0) file = files[f];
    cr_assert_not_null(file);
    char *path = kzt_path(c.dir, file);
    kz_segment *seg = NULL;
    unsigned long long id = 0;
    cr_assert_eq(sscanf(file, "seg-%llu.kzs", &id), 1);
    cr_assert_eq(kz_segment_open(&seg, path, id), KZ_OK, "%s", kz_errmsg());
    uint64_t field = seg->sections[KZ_SEC_META].offset + KZ_META_PAIR_DF;
    uint32_t threshold = seg->pair_threshold;
    kz_segment_close(seg);
    int fd = open(path, O_RDWR);
    cr_assert_geq(fd, 0);
    uint8_t bad[4] = {1, 0, 0, 0}; /* threshold 1: every word "common" */
    cr_assert_neq(threshold, 1u);
    cr_assert_eq(pwrite(fd, bad, 4, (off_t)field), 4);
    close(fd);
    kz_index *ix = NULL;
    cr_assert_eq(kz_index_open(&ix, c.dir), KZ_ECORRUPT);
    cr_assert(strstr(kz_errmsg(), "META") && strstr(kz_errmsg(), file), "%s", kz_errmsg());
    free(path);
    teardown(&c);
}

Test(damage, flipped_bytes_in_manifest_deletions_and_dictionary_are_reported)
{
    damage_ctx c;
    setup(&c);
    kzt_rng r = {4343};
    char files[32][64];
    size_t nfiles = list_files(c.dir, files, 32);
    int dels = 0;
    for (size_t f = 0; f < nfiles; f++) {
        if (strncmp(files[f], "seg-", 4) == 0) continue;
        uint64_t size = file_size(c.dir, files[f]);
        int dict = strcmp(files[f], "zh.dict") == 0;
        dels += strncmp(files[f], "del-", 4) == 0;
        /* Every byte of the small files; a sample of the dictionary. */
        uint64_t step = dict ? size / 6 + 1 : 1;
        for (uint64_t o = dict ? 7 : 0; o < size; o += step)
            flip_at(&c, files[f], o, (uint8_t)(1u << kzt_below(&r, 8)), !dict);
    }
    cr_assert_geq(dels, 1, "the index should have a deletion file");
    teardown(&c);
}

static void truncate_to(damage_ctx *c, const char *file, uint64_t len)
{
    char *path = kzt_path(c->dir, file);
    size_t size;
    char *orig = kzt_read_file(path, &size);
    cr_assert_eq(truncate(path, (off_t)len), 0);
    char what[64];
    snprintf(what, sizeof what, "truncated to %llu of %zu bytes", (unsigned long long)len, size);
    probe(c, file, what, 0);
    kzt_write_file(path, orig, size);
    free(orig);
    free(path);
}

Test(damage, truncated_files_are_reported)
{
    damage_ctx c;
    setup(&c);
    kzt_rng r = {4444};
    char files[32][64];
    size_t nfiles = list_files(c.dir, files, 32);
    for (size_t f = 0; f < nfiles; f++) {
        uint64_t size = file_size(c.dir, files[f]);
        uint64_t lens[] = {0, 1, 7, 8, 31, 32, 33, size / 2, size - 33, size - 32, size - 1};
        for (size_t i = 0; i < sizeof lens / sizeof *lens; i++)
            if (lens[i] < size) truncate_to(&c, files[f], lens[i]);
        int random_cuts = strcmp(files[f], "zh.dict") == 0 ? 2 : 10;
        for (int i = 0; i < random_cuts; i++) truncate_to(&c, files[f], kzt_rand(&r) % size);
    }
    teardown(&c);
}

Test(damage, missing_files_are_reported)
{
    damage_ctx c;
    setup(&c);
    char files[32][64];
    size_t nfiles = list_files(c.dir, files, 32);
    for (size_t f = 0; f < nfiles; f++) {
        char *path = kzt_path(c.dir, files[f]);
        char *moved = kzt_path(c.dir, ".moved-away");
        cr_assert_eq(rename(path, moved), 0);
        probe(&c, files[f], "file missing", 0);
        cr_assert_eq(rename(moved, path), 0);
        free(moved);
        free(path);
    }
    cr_assert_eq(kz_index_check(c.dir), KZ_OK, "%s", kz_errmsg());
    teardown(&c);
}
