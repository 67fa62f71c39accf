/* jsonl_pipeline.c - JSON Lines parsed and analysed on worker threads (see jsonl_pipeline.h).
 *
 * A batch is a byte string of records, written by one worker and read back by the caller:
 *   'W' varint length, message                  a broken line
 *   'D' name, title, date, lang, meta           a document (each: varint length, bytes),
 *       varint passages, then per passage:
 *         varint line, varint start, varint end, varint text length, text,
 *         u32 token count, then per token: varint length, term, varint position
 * Synchronisation: one mutex and condition variable guard every batch's `ready` flag. A worker
 * fills a batch only while it is not ready and publishes it by setting ready; the caller reads
 * it only while ready and hands it back by clearing ready. The batch of chunk k lives in worker
 * k % n, ring slot (k / n) % KZ_PIPELINE_DEPTH, so both sides find it without a queue. */
#include "jsonl_pipeline.h"

#include "buf.h"
#include "error.h"
#include "source.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MESSAGE_MAX 1024
/* Chunks of about 1 MiB at most: enough work per batch to amortise the hand-over, small enough
 * that progress moves and memory stays bounded (n workers x depth batches of analysed text). */
#define CHUNK_MAX ((size_t)1 << 20)
#define CHUNK_MIN ((size_t)4096)

typedef struct chunk {
    size_t start, end;   /* whole lines: [start, end) of the text */
    uint64_t first_line; /* 1-based number of its first line */
} chunk;

typedef struct batch {
    kz_buf data;
    int status; /* KZ_OK, or the worker's failure (then message says why) */
    char message[MESSAGE_MAX];
    int ready;
} batch;

typedef struct pipeline pipeline;

typedef struct worker {
    pipeline *p;
    unsigned id;
    pthread_t thread;
    int started;
    kz_analyzer *analyzer;
    kz_document doc;
    batch ring[KZ_PIPELINE_DEPTH];
    kz_buf *out;      /* the batch being filled, for the token callback */
    uint32_t ntokens; /* tokens of the passage being analysed */
} worker;

struct pipeline {
    const char *path;
    const char *text;
    chunk *chunks;
    size_t nchunks;
    unsigned nworkers;
    worker *workers;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int stop; /* the caller gave up: workers leave */
};

/* ---- workers ---- */

static int put_str(kz_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    KZ_TRY(kz_buf_append_varint(b, n));
    return kz_buf_append(b, s, n);
}

static int put_token(void *ctx, const kz_token *t)
{
    worker *w = ctx;
    KZ_TRY(kz_buf_append_varint(w->out, t->term_len));
    KZ_TRY(kz_buf_append(w->out, t->term, t->term_len));
    KZ_TRY(kz_buf_append_varint(w->out, t->position));
    w->ntokens++;
    return KZ_OK;
}

static int put_document(worker *w, kz_buf *out)
{
    const kz_document *d = &w->doc;
    KZ_TRY(kz_buf_append_u8(out, 'D'));
    KZ_TRY(put_str(out, d->name));
    KZ_TRY(put_str(out, d->title));
    KZ_TRY(put_str(out, d->date));
    KZ_TRY(put_str(out, d->lang));
    KZ_TRY(put_str(out, d->meta_json));
    KZ_TRY(kz_buf_append_varint(out, d->npassages));
    for (size_t i = 0; i < d->npassages; i++) {
        const kz_passage *p = &d->passages[i];
        size_t len = (size_t)(p->end - p->start);
        KZ_TRY(kz_buf_append_varint(out, p->line));
        KZ_TRY(kz_buf_append_varint(out, p->start));
        KZ_TRY(kz_buf_append_varint(out, p->end));
        KZ_TRY(kz_buf_append_varint(out, len));
        KZ_TRY(kz_buf_append(out, d->text + p->start, len));
        size_t count_at = out->len;
        KZ_TRY(kz_buf_append_u32le(out, 0));
        w->out = out;
        w->ntokens = 0;
        int rc = kz_analyze(w->analyzer, d->text + p->start, len, put_token, w);
        if (rc != KZ_OK) return rc < 0 ? rc : kz_fail(KZ_ERROR, "analysis stopped");
        kz_store_u32le(out->data + count_at, w->ntokens);
    }
    return KZ_OK;
}

/* Parses and analyses the lines of chunk c into out. */
static int fill(worker *w, const chunk *c, kz_buf *out)
{
    const char *text = w->p->text;
    size_t at = c->start;
    uint64_t line = c->first_line;
    while (at < c->end) {
        const char *nl = memchr(text + at, '\n', c->end - at);
        size_t end = nl ? (size_t)(nl - text) : c->end;
        int rc = kz_document_from_jsonl(&w->doc, w->p->path, line, text + at, end - at);
        at = end + 1;
        line++;
        if (rc == KZ_SOURCE_BLANK) continue;
        if (rc == KZ_EINVAL) { /* a broken line: reported, the rest goes on */
            KZ_TRY(kz_buf_append_u8(out, 'W'));
            KZ_TRY(put_str(out, kz_errmsg()));
            continue;
        }
        KZ_TRY(rc);
        if (w->doc.npassages > 0) KZ_TRY(put_document(w, out));
    }
    return KZ_OK;
}

static void *work(void *arg)
{
    worker *w = arg;
    pipeline *p = w->p;
    size_t round = 0;
    for (size_t k = w->id; k < p->nchunks; k += p->nworkers, round++) {
        batch *b = &w->ring[round % KZ_PIPELINE_DEPTH];
        pthread_mutex_lock(&p->lock);
        while (b->ready && !p->stop) pthread_cond_wait(&p->changed, &p->lock);
        int stop = p->stop;
        pthread_mutex_unlock(&p->lock);
        if (stop) break;
        kz_buf_clear(&b->data);
        b->status = fill(w, &p->chunks[k], &b->data);
        if (b->status < 0) snprintf(b->message, sizeof b->message, "%s", kz_errmsg());
        pthread_mutex_lock(&p->lock);
        b->ready = 1;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        if (b->status < 0) break; /* the caller stops at this batch */
    }
    return NULL;
}

/* ---- the caller's side ---- */

static int get_str(const uint8_t **p, const uint8_t *end, const char **s, size_t *len)
{
    uint64_t n;
    KZ_TRY(kz_read_varint(p, end, &n));
    if (n > (uint64_t)(end - *p)) return kz_fail(KZ_ERROR, "pipeline batch damaged");
    *s = (const char *)*p;
    *len = (size_t)n;
    *p += n;
    return KZ_OK;
}

static int get_u32(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
    uint64_t x;
    KZ_TRY(kz_read_varint(p, end, &x));
    if (x > UINT32_MAX) return kz_fail(KZ_ERROR, "pipeline batch damaged");
    *v = (uint32_t)x;
    return KZ_OK;
}

/* Replays one document; its strings are not NUL-terminated in the batch, so the sink gets
 * terminated copies (in strings). */
static int replay_document(const kz_pipeline_sink *s, const uint8_t **pp, const uint8_t *end,
                           kz_buf *strings, kz_buf *tokens)
{
    const uint8_t *p = *pp;
    const char *f[5] = {NULL};
    size_t flen[5] = {0};
    for (int i = 0; i < 5; i++) KZ_TRY(get_str(&p, end, &f[i], &flen[i]));
    uint32_t npassages = 0;
    KZ_TRY(get_u32(&p, end, &npassages));
    for (uint32_t i = 0; i < npassages; i++) {
        kz_passage_record rec = {0};
        uint64_t start, stop;
        KZ_TRY(get_u32(&p, end, &rec.line));
        KZ_TRY(kz_read_varint(&p, end, &start));
        KZ_TRY(kz_read_varint(&p, end, &stop));
        rec.start = start;
        rec.end = stop;
        KZ_TRY(get_str(&p, end, &rec.text, &rec.text_len));
        if (end - p < 4) return kz_fail(KZ_ERROR, "pipeline batch damaged");
        uint32_t ntokens = kz_load_u32le(p);
        p += 4;
        /* at least 2 bytes a token: a malformed count cannot make us allocate much */
        if (ntokens > (size_t)(end - p) / 2) return kz_fail(KZ_ERROR, "pipeline batch damaged");
        kz_buf_clear(tokens);
        KZ_TRY(kz_buf_reserve(tokens, ntokens * sizeof(kz_inverter_token)));
        kz_inverter_token *tok = (kz_inverter_token *)(void *)tokens->data;
        for (uint32_t t = 0; t < ntokens; t++) {
            size_t len = 0;
            KZ_TRY(get_str(&p, end, &tok[t].term, &len));
            if (len > UINT32_MAX) return kz_fail(KZ_ERROR, "pipeline batch damaged");
            tok[t].len = (uint32_t)len;
            KZ_TRY(get_u32(&p, end, &tok[t].position));
        }
        if (ntokens > 0) KZ_TRY(s->tokens(s->ctx, tok, ntokens));
        KZ_TRY(s->passage(s->ctx, &rec));
    }
    kz_buf_clear(strings);
    size_t at[5];
    for (int i = 0; i < 5; i++) {
        at[i] = strings->len;
        KZ_TRY(kz_buf_append(strings, f[i], flen[i]));
        KZ_TRY(kz_buf_append_u8(strings, 0));
    }
    kz_doc_entry e = {0};
    const char **dst[5] = {&e.name, &e.title, &e.date, &e.lang, &e.meta};
    size_t *dlen[5] = {&e.name_len, &e.title_len, &e.date_len, &e.lang_len, &e.meta_len};
    for (int i = 0; i < 5; i++) {
        *dst[i] = (const char *)strings->data + at[i];
        *dlen[i] = flen[i];
    }
    e.npassages = npassages;
    KZ_TRY(s->document(s->ctx, &e));
    *pp = p;
    return KZ_OK;
}

static int replay(const kz_pipeline_sink *s, const kz_buf *data, kz_buf *strings, kz_buf *tokens)
{
    const uint8_t *p = data->data, *end = data->data + data->len;
    while (p < end) {
        uint8_t tag = *p++;
        if (tag == 'W') {
            const char *msg = NULL;
            size_t len = 0;
            KZ_TRY(get_str(&p, end, &msg, &len));
            kz_buf_clear(strings);
            KZ_TRY(kz_buf_append(strings, msg, len));
            KZ_TRY(kz_buf_append_u8(strings, 0));
            s->warning(s->ctx, (const char *)strings->data);
        } else if (tag == 'D') {
            KZ_TRY(replay_document(s, &p, end, strings, tokens));
        } else {
            return kz_fail(KZ_ERROR, "pipeline batch damaged");
        }
    }
    return KZ_OK;
}

/* Cuts text into chunks of whole lines and numbers their first lines. */
static int make_chunks(pipeline *p, size_t len)
{
    size_t target = len / (4 * (size_t)p->nworkers);
    if (target < CHUNK_MIN) target = CHUNK_MIN;
    if (target > CHUNK_MAX) target = CHUNK_MAX;
    size_t cap = len / target + 2;
    p->chunks = malloc(cap * sizeof *p->chunks);
    if (p->chunks == NULL) return KZ_ENOMEM_FAIL();
    uint64_t line = 1;
    for (size_t start = 0; start < len;) {
        size_t end = start + target < len ? start + target : len;
        if (end < len) {
            const char *nl = memchr(p->text + end, '\n', len - end);
            end = nl ? (size_t)(nl - p->text) + 1 : len;
        }
        if (p->nchunks == cap) {
            chunk *grown = realloc(p->chunks, 2 * cap * sizeof *grown);
            if (grown == NULL) return KZ_ENOMEM_FAIL();
            p->chunks = grown;
            cap *= 2;
        }
        p->chunks[p->nchunks++] = (chunk){start, end, line};
        for (const char *q = p->text + start, *e = p->text + end;
             (q = memchr(q, '\n', (size_t)(e - q))) != NULL; q++)
            line++;
        start = end;
    }
    return KZ_OK;
}

int kz_jsonl_pipeline(const kz_analyzer *analyzer, unsigned nworkers, const char *path,
                      const char *text, size_t len, const kz_pipeline_sink *sink)
{
    if (nworkers == 0) nworkers = 1;
    pipeline p = {
        path, text, NULL, 0, nworkers, NULL, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
        0};
    kz_buf strings = KZ_BUF_INIT, tokens = KZ_BUF_INIT; /* replay's scratch */
    int rc = make_chunks(&p, len);
    if (rc == KZ_OK) {
        p.workers = calloc(nworkers, sizeof *p.workers);
        if (p.workers == NULL) rc = KZ_ENOMEM_FAIL();
    }
    for (unsigned i = 0; rc == KZ_OK && i < nworkers; i++) {
        worker *w = &p.workers[i];
        w->p = &p;
        w->id = i;
        rc = kz_analyzer_clone(&w->analyzer, analyzer);
        if (rc == KZ_OK && pthread_create(&w->thread, NULL, work, w) != 0)
            rc = kz_fail(KZ_ERROR, "cannot start an indexing thread");
        if (rc == KZ_OK) w->started = 1;
    }
    for (size_t k = 0; rc == KZ_OK && k < p.nchunks; k++) {
        batch *b = &p.workers[k % nworkers].ring[(k / nworkers) % KZ_PIPELINE_DEPTH];
        pthread_mutex_lock(&p.lock);
        while (!b->ready) pthread_cond_wait(&p.changed, &p.lock);
        pthread_mutex_unlock(&p.lock);
        rc = b->status < 0 ? kz_fail(b->status, "%s", b->message)
                           : replay(sink, &b->data, &strings, &tokens);
        pthread_mutex_lock(&p.lock);
        b->ready = 0;
        pthread_cond_broadcast(&p.changed);
        pthread_mutex_unlock(&p.lock);
        if (rc == KZ_OK && sink->progress) sink->progress(sink->ctx, p.chunks[k].end);
    }
    pthread_mutex_lock(&p.lock);
    p.stop = 1;
    pthread_cond_broadcast(&p.changed);
    pthread_mutex_unlock(&p.lock);
    for (unsigned i = 0; p.workers && i < nworkers; i++) {
        worker *w = &p.workers[i];
        if (w->started) pthread_join(w->thread, NULL);
        kz_analyzer_free(w->analyzer);
        kz_document_clear(&w->doc);
        for (int r = 0; r < KZ_PIPELINE_DEPTH; r++) kz_buf_free(&w->ring[r].data);
    }
    free(p.workers);
    free(p.chunks);
    kz_buf_free(&strings);
    kz_buf_free(&tokens);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.changed);
    return rc;
}
