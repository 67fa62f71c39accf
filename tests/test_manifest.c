/* test_manifest.c - the manifest and deletion files: round trips, and damage detected (every
 * flipped byte and every truncation gives KZ_ECORRUPT, never a wrong answer or a crash). */
#include "deletes.h"
#include "manifest.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static kz_manifest sample_manifest(void)
{
    kz_manifest m = {0};
    m.generation = 7;
    m.next_id = 40;
    m.zh_dict_hash = 0x1234567890abcdefULL;
    kz_manifest_segment a = {3, 1000, 0, 0}, b = {12, 250, 17, 39};
    cr_assert_eq(kz_manifest_add(&m, &a), KZ_OK);
    cr_assert_eq(kz_manifest_add(&m, &b), KZ_OK);
    return m;
}

Test(manifest, round_trips_every_field)
{
    kz_manifest m = sample_manifest(), back;
    kz_buf buf = KZ_BUF_INIT;
    cr_assert_eq(kz_manifest_encode(&m, &buf), KZ_OK);
    cr_assert_eq(kz_manifest_decode(&back, buf.data, buf.len), KZ_OK);
    cr_assert_eq(back.generation, 7);
    cr_assert_eq(back.next_id, 40);
    cr_assert_eq(back.zh_dict_hash, m.zh_dict_hash);
    cr_assert_eq(back.nsegments, 2);
    cr_assert_eq(memcmp(back.segments, m.segments, 2 * sizeof *m.segments), 0);
    kz_manifest_free(&back);
    kz_manifest_free(&m);
    kz_buf_free(&buf);
}

Test(manifest, every_flipped_byte_and_truncation_is_detected)
{
    kz_manifest m = sample_manifest(), back;
    kz_buf buf = KZ_BUF_INIT;
    cr_assert_eq(kz_manifest_encode(&m, &buf), KZ_OK);
    for (size_t i = 0; i < buf.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t *copy = malloc(buf.len);
            memcpy(copy, buf.data, buf.len);
            copy[i] ^= (uint8_t)(1u << bit);
            cr_assert_eq(kz_manifest_decode(&back, copy, buf.len), KZ_ECORRUPT,
                         "flip of bit %d of byte %zu went unnoticed", bit, i);
            free(copy);
        }
    }
    for (size_t len = 0; len < buf.len; len++) {
        uint8_t *copy = malloc(len + 1); /* exact size: ASan catches reads past it */
        memcpy(copy, buf.data, len);
        cr_assert_eq(kz_manifest_decode(&back, copy, len), KZ_ECORRUPT, "truncation to %zu", len);
        free(copy);
    }
    kz_manifest_free(&m);
    kz_buf_free(&buf);
}

Test(manifest, missing_file_says_there_is_no_index)
{
    char *dir = kzt_tempdir();
    kz_manifest m;
    cr_assert_eq(kz_manifest_read(&m, dir), KZ_ENOTFOUND);
    cr_assert(strstr(kz_errmsg(), "no index at") != NULL, "%s", kz_errmsg());
    kzt_rmtree(dir);
}

Test(manifest, file_names_sort_by_id)
{
    char a[KZ_FILE_NAME_MAX], b[KZ_FILE_NAME_MAX];
    kz_segment_file_name(a, 9);
    kz_segment_file_name(b, 10);
    cr_assert_str_eq(a, "seg-000009.kzs");
    cr_assert_lt(strcmp(a, b), 0);
    kz_deletes_file_name(a, 3, 41);
    cr_assert_str_eq(a, "del-000003-000041.kzd");
}

/* A deletion set built term by term, with duplicates that must be summed. */
static void build_deletes(kz_deletes *d)
{
    cr_assert_eq(kz_deletes_init(d, 130, NULL), KZ_OK);
    cr_assert_eq(kz_deletes_mark(d, 0, 5), 1);
    cr_assert_eq(kz_deletes_mark(d, 64, 7), 1);
    cr_assert_eq(kz_deletes_mark(d, 129, 11), 1);
    cr_assert_eq(kz_deletes_mark(d, 64, 7), 0, "marking twice counts once");
    cr_assert_eq(kz_deletes_add_term(d, "troops", 6, 1, 2), KZ_OK);
    cr_assert_eq(kz_deletes_add_term(d, "csto", 4, 1, 1), KZ_OK);
    cr_assert_eq(kz_deletes_add_term(d, "troops", 6, 1, 1), KZ_OK);
    cr_assert_eq(kz_deletes_add_term(d, "阿拉木图", strlen("阿拉木图"), 1, 3), KZ_OK);
    cr_assert_eq(kz_deletes_finish(d), KZ_OK);
}

Test(deletes, summed_statistics_and_bitset_survive_a_round_trip)
{
    kz_deletes d, back;
    build_deletes(&d);
    cr_assert_eq(d.ndeleted, 3);
    cr_assert_eq(d.deleted_len, 23);
    cr_assert_eq(d.nterms, 3);
    char *dir = kzt_tempdir();
    char *path = kzt_path(dir, "del.kzd");
    kz_buf buf = KZ_BUF_INIT;
    cr_assert_eq(kz_deletes_encode(&d, 5, &buf), KZ_OK);
    kzt_write_file(path, buf.data, buf.len);
    cr_assert_eq(kz_deletes_read(&back, path, 5, 130), KZ_OK, "%s", kz_errmsg());
    for (uint32_t p = 0; p < 130; p++)
        cr_assert_eq(kz_deletes_has(&back, p), p == 0 || p == 64 || p == 129, "passage %u", p);
    uint32_t df;
    uint64_t cf;
    kz_deletes_term(&back, "troops", 6, &df, &cf);
    cr_assert(df == 2 && cf == 3, "troops: df %u cf %llu", df, (unsigned long long)cf);
    kz_deletes_term(&back, "阿拉木图", strlen("阿拉木图"), &df, &cf);
    cr_assert(df == 1 && cf == 3);
    kz_deletes_term(&back, "absent", 6, &df, &cf);
    cr_assert(df == 0 && cf == 0);
    cr_assert_eq(kz_deletes_read(&back, path, 6, 130), KZ_ECORRUPT, "another segment's file");
    kz_deletes_free(&back);
    kz_deletes_free(&d);
    kz_buf_free(&buf);
    free(path);
    kzt_rmtree(dir);
}

Test(deletes, every_flipped_byte_is_detected)
{
    kz_deletes d, back;
    build_deletes(&d);
    kz_buf buf = KZ_BUF_INIT;
    cr_assert_eq(kz_deletes_encode(&d, 5, &buf), KZ_OK);
    char *dir = kzt_tempdir();
    char *path = kzt_path(dir, "del.kzd");
    for (size_t i = 0; i < buf.len; i++) {
        buf.data[i] ^= 0x10;
        kzt_write_file(path, buf.data, buf.len);
        cr_assert_eq(kz_deletes_read(&back, path, 5, 130), KZ_ECORRUPT, "byte %zu", i);
        buf.data[i] ^= 0x10;
    }
    for (size_t len = 0; len < buf.len; len += 3) {
        kzt_write_file(path, buf.data, len);
        cr_assert_eq(kz_deletes_read(&back, path, 5, 130), KZ_ECORRUPT, "length %zu", len);
    }
    kz_deletes_free(&d);
    kz_buf_free(&buf);
    free(path);
    kzt_rmtree(dir);
}
