/* test_store.c - the stored passages: round trips of random records (empty ones, 1 MB ones,
 * compressible and incompressible ones) compared with the records kept in memory, concurrent
 * reads, and damage tests on an exactly sized heap copy so that ASan catches any overread. */
#include "error.h"
#include "store.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
    for (uint64_t id = 0; id < n; id++) check_record(&s, r, id, &out);
    for (size_t k = 0; k < 2000; k++) check_record(&s, r, rnd() % n, &out);
    cr_assert_eq(kz_store_get(&s, n, &out), KZ_ENOTFOUND);
    cr_assert_eq(kz_store_get(&s, UINT64_MAX, &out), KZ_ENOTFOUND);
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
    kz_buf_free(&b);
    free_records(r, n);
}

/* Opens possibly damaged bytes and fetches every record: each fetch gives KZ_ECORRUPT or the
 * right record (blocks carry zstd checksums, and the index is checked against the content). */
static void exercise(const uint8_t *data, size_t len, const record *r, size_t n, int *wrong)
{
    kz_store s;
    int rc = kz_store_open(&s, data, len);
    cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT);
    if (rc != KZ_OK) return;
    kz_buf out = KZ_BUF_INIT;
    for (uint64_t id = 0; id < s.nrecords; id++) {
        rc = kz_store_get(&s, id, &out);
        cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT, "record %llu: %d", (unsigned long long)id, rc);
        if (rc == KZ_OK && (id >= n || out.len != r[id].len ||
                            (out.len && memcmp(out.data, r[id].bytes, out.len) != 0)))
            (*wrong)++;
    }
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
        int all = i < 32 || i >= index_off || i % 11 == 0;
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
