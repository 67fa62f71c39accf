/* test_store.c - the stored records: round trips of random records (empty ones, 1 MB ones,
 * compressible and incompressible ones) compared with the records kept in memory, concurrent
 * reads sharing a dictionary, the byte layout checked with zstd's own one-shot API, and damage
 * tests (with and without a dictionary) on an exactly sized heap copy so that ASan catches any
 * overread. */
#include "error.h"
#include "store.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

typedef struct record {
    uint8_t *bytes;
    size_t len;
} record;

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Text-like bytes (words from a small vocabulary) or random bytes. */
static void fill(uint8_t *p, size_t len, int random_bytes)
{
    static const char *words[] = {"the ",     "tokay ", "gecko ",   "search ", "index ",
                                  "passage ", "壁虎 ",  "ящерица ", "\n\n"};
    size_t i = 0;
    while (i < len) {
        if (random_bytes) {
            p[i++] = (uint8_t)rnd();
            continue;
        }
        const char *w = words[rnd() % 9];
        for (size_t k = 0; w[k] && i < len; k++) p[i++] = (uint8_t)w[k];
    }
}

static record *make_records(size_t n)
{
    record *r = calloc(n, sizeof *r);
    cr_assert_not_null(r);
    for (size_t i = 0; i < n; i++) {
        uint64_t kind = rnd() % 100;
        if (kind < 10)
            r[i].len = 0;
        else if (kind < 80)
            r[i].len = 1 + rnd() % 600;
        else if (kind < 98)
            r[i].len = 1 + rnd() % 40000;
        else
            r[i].len = 1000000 + rnd() % 50000;
        r[i].bytes = malloc(r[i].len ? r[i].len : 1);
        cr_assert_not_null(r[i].bytes);
        fill(r[i].bytes, r[i].len, rnd() % 4 == 0);
    }
    return r;
}

static void free_records(record *r, size_t n)
{
    for (size_t i = 0; i < n; i++) free(r[i].bytes);
    free(r);
}

static void build(kz_buf *out, const record *r, size_t n)
{
    kz_store_writer *w = NULL;
    cr_assert_eq(kz_store_writer_new(&w), KZ_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(kz_store_writer_add(w, r[i].bytes, r[i].len), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_store_writer_finish(w, out), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_store_writer_add(w, "x", 1), KZ_EINVAL);
    kz_store_writer_free(w);
}

static void check_record(const kz_store *s, const record *r, uint64_t id, kz_buf *out)
{
    cr_assert_eq(kz_store_get(s, id, out), KZ_OK, "record %llu: %s", (unsigned long long)id,
                 kz_errmsg());
    cr_assert_eq(out->len, r[id].len, "record %llu", (unsigned long long)id);
    if (r[id].len > 0) cr_assert_eq(memcmp(out->data, r[id].bytes, r[id].len), 0);
}

Test(store, random_records_round_trip_in_any_order)
{
    rng_state = 0x2545f4914f6cdd1du;
    const size_t n = 3000;
    record *r = make_records(n);
    kz_buf b = KZ_BUF_INIT, out = KZ_BUF_INIT;
    cr_assert_eq(kz_buf_append(&b, "prefix", 6), KZ_OK); /* finish appends after existing bytes */
    build(&b, r, n);
    kz_store s;
    cr_assert_eq(kz_store_open(&s, b.data + 6, b.len - 6), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(s.nrecords, n);
    cr_assert_gt(s.nblocks, 10);
    cr_assert_eq(kz_store_verify(&s), KZ_OK, "%s", kz_errmsg());
    for (uint64_t id = 0; id < n; id++) check_record(&s, r, id, &out);
    for (size_t k = 0; k < 2000; k++) check_record(&s, r, rnd() % n, &out);
    cr_assert_eq(kz_store_get(&s, n, &out), KZ_ENOTFOUND);
    cr_assert_eq(kz_store_get(&s, UINT64_MAX, &out), KZ_ENOTFOUND);
    cr_assert_not_null(s.ddict, "a store of this size has a dictionary");
    kz_store_close(&s);
    kz_buf_free(&out);
    kz_buf_free(&b);
    free_records(r, n);
}

Test(store, empty_store_has_no_records)
{
    kz_buf b = KZ_BUF_INIT, out = KZ_BUF_INIT;
    build(&b, NULL, 0);
    kz_store s;
    cr_assert_eq(kz_store_open(&s, b.data, b.len), KZ_OK);
    cr_assert_eq(s.nrecords, 0);
    cr_assert_eq(kz_store_get(&s, 0, &out), KZ_ENOTFOUND);
    kz_store_close(&s);
    kz_buf_free(&b);
}

Test(store, many_empty_records_and_one_large_record)
{
    const size_t n = 20001;
    record *r = calloc(n, sizeof *r);
    r[n / 2].len = 3 * KZ_STORE_BLOCK;
    r[n / 2].bytes = malloc(r[n / 2].len);
    rng_state = 99;
    fill(r[n / 2].bytes, r[n / 2].len, 0);
    kz_buf b = KZ_BUF_INIT, out = KZ_BUF_INIT;
    build(&b, r, n);
    kz_store s;
    cr_assert_eq(kz_store_open(&s, b.data, b.len), KZ_OK);
    cr_assert_eq(s.nrecords, n);
    cr_assert_geq(s.nblocks, 3, "the large record has a block of its own");
    for (uint64_t id = 0; id < n; id++) check_record(&s, r, id, &out);
    kz_store_close(&s);
    kz_buf_free(&out);
    kz_buf_free(&b);
    free_records(r, n);
}

typedef struct reader_job {
    const kz_store *s;
    const record *r;
    uint64_t seed;
    int failures;
} reader_job;

static void *reader(void *arg)
{
    reader_job *job = arg;
    kz_buf out = KZ_BUF_INIT;
    uint64_t x = job->seed;
    for (size_t k = 0; k < 3000; k++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        uint64_t id = (x >> 33) % job->s->nrecords;
        if (kz_store_get(job->s, id, &out) != KZ_OK || out.len != job->r[id].len ||
            (out.len && memcmp(out.data, job->r[id].bytes, out.len) != 0))
            job->failures++;
    }
    kz_buf_free(&out);
    return NULL;
}

Test(store, concurrent_readers_get_the_right_records)
{
    rng_state = 5;
    const size_t n = 2000;
    record *r = make_records(n);
    kz_buf b = KZ_BUF_INIT;
    build(&b, r, n);
    kz_store s;
    cr_assert_eq(kz_store_open(&s, b.data, b.len), KZ_OK);
    pthread_t t[4];
    reader_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (reader_job){&s, r, (uint64_t)i + 1, 0};
        cr_assert_eq(pthread_create(&t[i], NULL, reader, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(jobs[i].failures, 0);
    }
    cr_assert_not_null(s.ddict, "the threads share a dictionary");
    kz_store_close(&s);
    kz_buf_free(&b);
    free_records(r, n);
}

/* Opens possibly damaged bytes and fetches every record: each fetch gives KZ_ECORRUPT or the
 * right record (blocks carry zstd checksums, and the index is checked against the content).
 * kz_store_verify accepts the bytes only if every fetch succeeds. */
static void exercise(const uint8_t *data, size_t len, const record *r, size_t n, int *wrong)
{
    kz_store s;
    int rc = kz_store_open(&s, data, len);
    cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT);
    if (rc != KZ_OK) return;
    int verified = kz_store_verify(&s);
    cr_assert(verified == KZ_OK || verified == KZ_ECORRUPT);
    kz_buf out = KZ_BUF_INIT;
    for (uint64_t id = 0; id < s.nrecords; id++) {
        rc = kz_store_get(&s, id, &out);
        cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT, "record %llu: %d", (unsigned long long)id, rc);
        if (verified == KZ_OK)
            cr_assert_eq(rc, KZ_OK, "verified, yet record %llu is damaged", (unsigned long long)id);
        if (rc == KZ_OK && (id >= n || out.len != r[id].len ||
                            (out.len && memcmp(out.data, r[id].bytes, out.len) != 0)))
            (*wrong)++;
    }
    kz_store_close(&s);
    kz_buf_free(&out);
}

Test(store, damaged_bytes_give_corrupt_or_the_right_record)
{
    rng_state = 11;
    const size_t n = 12;
    record *r = calloc(n, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        r[i].len = i % 3 == 0 ? 4000 + rnd() % 2000 : i % 4 == 1 ? 0 : 100 + rnd() % 500;
        r[i].bytes = malloc(r[i].len ? r[i].len : 1);
        fill(r[i].bytes, r[i].len, i % 4 == 2);
    }
    kz_buf b = KZ_BUF_INIT;
    build(&b, r, n);
    kz_store s;
    cr_assert_eq(kz_store_open(&s, b.data, b.len), KZ_OK);
    cr_assert_geq(s.nblocks, 2);
    const uint64_t index_off = s.index_off;
    kz_store_close(&s);
    cr_log_info("damage test over %zu bytes in %llu blocks", b.len, (unsigned long long)s.nblocks);
    int wrong = 0;
    for (size_t cut = 0; cut < b.len; cut++) { /* truncated at every length */
        uint8_t *exact = malloc(cut ? cut : 1);
        memcpy(exact, b.data, cut);
        cr_assert_eq(kz_store_open(&s, exact, cut), KZ_ECORRUPT);
        free(exact);
    }
    uint8_t *copy = malloc(b.len);
    /* Each byte flipped; the header, the index and every 11th byte of the blocks three ways. */
    for (size_t i = 0; i < b.len; i++) {
        const uint8_t flips[] = {0xff, 0x01, 0x80};
        int all = i < 40 || i >= index_off || i % 11 == 0;
        for (size_t f = 0; f < (all ? 3u : 1u); f++) {
            memcpy(copy, b.data, b.len);
            copy[i] ^= flips[f];
            exercise(copy, b.len, r, n, &wrong);
        }
    }
    cr_assert_eq(wrong, 0, "%d fetches of damaged bytes returned a wrong record", wrong);
    free(copy);
    kz_buf_free(&b);
    free_records(r, n);
}

/* Like exercise, reading the records in order through a reader (one decompression per block,
 * to keep the many trials quick). */
static void exercise_in_order(const uint8_t *data, size_t len, const record *r, size_t n,
                              int *wrong)
{
    kz_store s;
    int rc = kz_store_open(&s, data, len);
    cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT);
    if (rc != KZ_OK) return;
    int verified = kz_store_verify(&s);
    cr_assert(verified == KZ_OK || verified == KZ_ECORRUPT);
    kz_store_reader rd;
    kz_store_reader_init(&rd, &s);
    for (uint64_t id = 0; id < s.nrecords; id++) {
        const uint8_t *p;
        size_t l;
        rc = kz_store_reader_get(&rd, id, &p, &l);
        cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT, "record %llu: %d", (unsigned long long)id, rc);
        if (verified == KZ_OK)
            cr_assert_eq(rc, KZ_OK, "verified, yet record %llu is damaged", (unsigned long long)id);
        if (rc == KZ_OK && (id >= n || l != r[id].len || (l && memcmp(p, r[id].bytes, l) != 0)))
            (*wrong)++;
    }
    kz_store_reader_free(&rd);
    kz_store_close(&s);
}

/* A store with a dictionary: damage in the dictionary is caught too (by zstd when it loads the
 * dictionary, or by the frame checksums of the blocks decompressed with it). */
Test(store, damaged_dictionary_gives_corrupt_or_the_right_record)
{
    rng_state = 12;
    const size_t n = 500;
    record *r = calloc(n, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        r[i].len = i % 10 == 4 ? 0 : 100 + rnd() % 200;
        r[i].bytes = malloc(r[i].len ? r[i].len : 1);
        fill(r[i].bytes, r[i].len, i % 50 == 7);
    }
    kz_buf b = KZ_BUF_INIT;
    build(&b, r, n);
    kz_store s;
    cr_assert_eq(kz_store_open(&s, b.data, b.len), KZ_OK);
    cr_assert_not_null(s.ddict);
    const uint64_t index_off = s.index_off, blocks_off = s.blocks_off;
    kz_store_close(&s);
    cr_log_info("dictionary damage test over %zu bytes, dictionary %llu bytes", b.len,
                (unsigned long long)(blocks_off - 40));
    int wrong = 0;
    for (size_t cut = 0; cut < b.len; cut++) {
        uint8_t *exact = malloc(cut ? cut : 1);
        memcpy(exact, b.data, cut);
        cr_assert_eq(kz_store_open(&s, exact, cut), KZ_ECORRUPT);
        free(exact);
    }
    uint8_t *copy = malloc(b.len);
    /* The header, the start of the dictionary (its entropy tables) and the index: every byte;
     * the rest of the dictionary every 3rd byte, the blocks every 41st. */
    for (size_t i = 0; i < b.len; i++) {
        int take = i < 40 + 512 || i >= index_off || (i < blocks_off && i % 3 == 0) || i % 41 == 0;
        if (!take) continue;
        memcpy(copy, b.data, b.len);
        copy[i] ^= (uint8_t)(1u << (i % 8));
        exercise_in_order(copy, b.len, r, n, &wrong);
    }
    cr_assert_eq(wrong, 0, "%d fetches of damaged bytes returned a wrong record", wrong);
    free(copy);
    kz_buf_free(&b);
    free_records(r, n);
}

Test(store, record_larger_than_a_block_gets_a_block_of_its_own)
{
    record r[3] = {{(uint8_t *)"before", 6}, {NULL, 40000}, {(uint8_t *)"after", 5}};
    r[1].bytes = malloc(r[1].len);
    rng_state = 3;
    fill(r[1].bytes, r[1].len, 1);
    kz_buf b = KZ_BUF_INIT, out = KZ_BUF_INIT;
    build(&b, r, 3);
    kz_store s;
    cr_assert_eq(kz_store_open(&s, b.data, b.len), KZ_OK);
    cr_assert_eq(s.nblocks, 3);
    for (uint64_t id = 0; id < 3; id++) check_record(&s, r, id, &out);
    kz_store_close(&s);
    free(r[1].bytes);
    kz_buf_free(&out);
    kz_buf_free(&b);
}

/* The bytes follow docs/format/store.md: header, dictionary, block index with its sentinel, and
 * blocks that zstd's one-shot API, given the dictionary, decompresses to the varint record
 * lengths followed by the records. */
static void check_format(size_t n, int want_dict)
{
    record *r = calloc(n, sizeof *r);
    for (size_t i = 0; i < n; i++) {
        r[i].len = i % 9 == 0 ? 0 : 50 + rnd() % 150; /* lengths < 200: 1- or 2-byte varints */
        r[i].bytes = malloc(r[i].len ? r[i].len : 1);
        fill(r[i].bytes, r[i].len, 0);
    }
    kz_buf b = KZ_BUF_INIT;
    build(&b, r, n);
    const uint8_t *d = b.data;
    cr_assert_eq(memcmp(d, "KZST", 4), 0);
    cr_assert_eq(kz_load_u32le(d + 4), 2);
    cr_assert_eq(kz_load_u64le(d + 8), n);
    uint64_t nblocks = kz_load_u64le(d + 16), index_off = kz_load_u64le(d + 24);
    uint64_t dict_len = kz_load_u64le(d + 32);
    cr_assert_geq(nblocks, 2);
    cr_assert_eq(dict_len > 0, want_dict, "dictionary of %llu bytes", (unsigned long long)dict_len);
    if (dict_len > 0) cr_assert_eq(kz_load_u32le(d + 40), ZSTD_MAGIC_DICTIONARY);
    cr_assert_eq(b.len, index_off + 12 * (nblocks + 1));
    cr_assert_eq(kz_load_u32le(d + index_off), 0);
    cr_assert_eq(kz_load_u64le(d + index_off + 4), 40 + dict_len);
    cr_assert_eq(kz_load_u32le(d + index_off + 12 * nblocks), n);
    cr_assert_eq(kz_load_u64le(d + index_off + 12 * nblocks + 4), index_off);
    size_t id = 0;
    uint8_t *content = malloc(2 * KZ_STORE_BLOCK);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    for (uint64_t blk = 0; blk < nblocks; blk++) {
        const uint8_t *e = d + index_off + 12 * blk;
        cr_assert_eq(kz_load_u32le(e), id);
        uint64_t count = kz_load_u32le(e + 12) - kz_load_u32le(e);
        cr_assert_lt(count, 400);
        uint64_t off = kz_load_u64le(e + 4), end = kz_load_u64le(e + 16);
        size_t got = ZSTD_decompress_usingDict(dctx, content, 2 * KZ_STORE_BLOCK, d + off,
                                               end - off, d + 40, dict_len);
        cr_assert(!ZSTD_isError(got), "%s", ZSTD_getErrorName(got));
        cr_assert_leq(got, KZ_STORE_BLOCK + 200, "blocks are about KZ_STORE_BLOCK bytes");
        const uint8_t *p = content;
        size_t lens[400], total = 0;
        for (uint64_t k = 0; k < count; k++) {
            lens[k] = *p < 0x80 ? *p : (size_t)((p[0] & 0x7f) | p[1] << 7);
            p += *p < 0x80 ? 1 : 2;
            cr_assert_eq(lens[k], r[id + k].len);
            total += lens[k];
        }
        cr_assert_eq((size_t)(content + got - p), total);
        for (uint64_t k = 0; k < count; k++, id++) {
            if (lens[k]) cr_assert_eq(memcmp(p, r[id].bytes, lens[k]), 0);
            p += lens[k];
        }
    }
    cr_assert_eq(id, n);
    ZSTD_freeDCtx(dctx);
    free(content);
    kz_buf_free(&b);
    free_records(r, n);
}

Test(store, bytes_follow_the_format_document)
{
    rng_state = 77;
    check_format(300, 0);  /* 30 KB of records: too few for a dictionary */
    check_format(3000, 1); /* 300 KB: a dictionary */
}

/* A store of another format version is refused with a message that says what to do. */
Test(store, other_format_version_is_refused_with_advice)
{
    rng_state = 78;
    record r[2] = {{(uint8_t *)"one", 3}, {(uint8_t *)"two", 3}};
    kz_buf b = KZ_BUF_INIT;
    build(&b, r, 2);
    kz_store s;
    kz_store_u32le(b.data + 4, 1);
    cr_assert_eq(kz_store_open(&s, b.data, b.len), KZ_ECORRUPT);
    cr_assert(strstr(kz_errmsg(), "index again") != NULL, "%s", kz_errmsg());
    kz_buf_free(&b);
}
