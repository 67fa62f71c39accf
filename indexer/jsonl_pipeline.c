/* jsonl_pipeline.c - JSON Lines parsed and analysed on worker threads (see jsonl_pipeline.h).
 *
 * A batch is a byte string of records, written by one worker and read back by the caller:
 *   'W' varint length, message                  a broken line
 *   'D' name, title, date, lang, meta           a document (each: varint length, bytes),
 *       varint passages, then per passage:
 *         varint line, varint start, varint end, varint text length, text,
 *         u32 token count, then per token: varint length, term, varint position
 * Chunk k (its lines, and then its batch) lives in worker k % n, ring slot
 * (k / n) % KZ_PIPELINE_DEPTH, so both sides find it without a queue. A slot goes EMPTY →
 * FILLED (the caller read the chunk's lines into it) → READY (the worker wrote its batch) →
 * EMPTY (the caller replayed it), and each side touches a slot's buffers only in the states it
 * moves the slot out of. One mutex and condition variable guard every slot's state and the end
 * of the input (input_over, nchunks). The caller reads chunk k + n * depth into the slot of
 * chunk k right after replaying chunk k, so the file is read in order, through buffers that are
 * reused, and never more than n * depth chunks ahead of the replay. */
#include "jsonl_pipeline.h"

#include "buf.h"
#include "error.h"
#include "line_reader.h"
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

enum { SLOT_EMPTY = 0, SLOT_FILLED, SLOT_READY };

typedef struct batch {
    kz_buf text;         /* the chunk: whole lines of the file */
    uint64_t first_line; /* 1-based number of its first line */
    uint64_t end;        /* bytes of the file up to the chunk's end */
    kz_buf data;         /* what the worker made of it */
    int status;          /* KZ_OK, or the worker's failure (then message says why) */
    char message[MESSAGE_MAX];
    int state;
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
    const char *path;       /* the reader's, for the workers' messages: they never touch it */
    kz_line_reader *reader; /* the caller's thread only */
    size_t target;          /* bytes a chunk */
    size_t nchunks;         /* chunks read so far (all of them once input_over) */
    int input_over;
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

/* Parses and analyses the lines of b's chunk into out. */
static int fill(worker *w, const batch *b, kz_buf *out)
{
    const char *text = (const char *)b->text.data;
    size_t at = 0, len = b->text.len;
    uint64_t line = b->first_line;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len;
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
    for (size_t k = w->id;; k += p->nworkers, round++) {
        batch *b = &w->ring[round % KZ_PIPELINE_DEPTH];
        pthread_mutex_lock(&p->lock);
        while (b->state != SLOT_FILLED && !p->stop && !(p->input_over && k >= p->nchunks))
            pthread_cond_wait(&p->changed, &p->lock);
        int go = b->state == SLOT_FILLED && !p->stop;
        pthread_mutex_unlock(&p->lock);
        if (!go) break;
        kz_buf_clear(&b->data);
        b->status = fill(w, b, &b->data);
        if (b->status < 0) snprintf(b->message, sizeof b->message, "%s", kz_errmsg());
        pthread_mutex_lock(&p->lock);
        b->state = SLOT_READY;
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

static batch *slot_of(pipeline *p, size_t k)
{
    return &p->workers[k % p->nworkers].ring[(k / p->nworkers) % KZ_PIPELINE_DEPTH];
}

/* Reads chunk k (the next lines of the file) into its slot, which must be EMPTY, and hands it
 * to its worker; at the end of the file, records that there are k chunks. */
static int read_chunk(pipeline *p, size_t k)
{
    batch *b = slot_of(p, k);
    int got = kz_line_reader_next(p->reader, &b->text, p->target, &b->first_line);
    if (got < 0) return got;
    pthread_mutex_lock(&p->lock);
    if (got) {
        b->end = p->reader->handed;
        b->state = SLOT_FILLED;
        p->nchunks = k + 1;
    } else {
        p->input_over = 1;
    }
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    return KZ_OK;
}

/* About four chunks a worker for small files, so that every worker has some; at most CHUNK_MAX,
 * so memory stays bounded whatever the file's size. */
static size_t chunk_target(uint64_t bytes, unsigned nworkers)
{
    uint64_t target = bytes / (4 * (uint64_t)nworkers);
    if (target < CHUNK_MIN) target = CHUNK_MIN;
    if (target > CHUNK_MAX) target = CHUNK_MAX;
    return (size_t)target;
}

int kz_jsonl_pipeline(const kz_analyzer *analyzer, unsigned nworkers, kz_line_reader *reader,
                      const kz_pipeline_sink *sink)
{
    if (nworkers == 0) nworkers = 1;
    pipeline p = {reader->path,
                  reader,
                  chunk_target(reader->unread + reader->pending.len, nworkers),
                  0,
                  0,
                  nworkers,
                  NULL,
                  PTHREAD_MUTEX_INITIALIZER,
                  PTHREAD_COND_INITIALIZER,
                  0};
    kz_buf strings = KZ_BUF_INIT, tokens = KZ_BUF_INIT; /* replay's scratch */
    int rc = KZ_OK;
    p.workers = calloc(nworkers, sizeof *p.workers);
    if (p.workers == NULL) rc = KZ_ENOMEM_FAIL();
    for (unsigned i = 0; rc == KZ_OK && i < nworkers; i++) {
        worker *w = &p.workers[i];
        w->p = &p;
        w->id = i;
        rc = kz_analyzer_clone(&w->analyzer, analyzer);
        if (rc == KZ_OK && pthread_create(&w->thread, NULL, work, w) != 0)
            rc = kz_fail(KZ_ERROR, "cannot start an indexing thread");
        if (rc == KZ_OK) w->started = 1;
    }
    const size_t ahead = (size_t)nworkers * KZ_PIPELINE_DEPTH;
    for (size_t k = 0; rc == KZ_OK && k < ahead && !p.input_over; k++) rc = read_chunk(&p, k);
    /* Chunk k was read before the loop reaches it, unless the file ended first. Only this
     * thread writes nchunks and input_over, so it reads them without the lock. */
    for (size_t k = 0; rc == KZ_OK && k < p.nchunks; k++) {
        batch *b = slot_of(&p, k);
        pthread_mutex_lock(&p.lock);
        while (b->state != SLOT_READY) pthread_cond_wait(&p.changed, &p.lock);
        pthread_mutex_unlock(&p.lock);
        rc = b->status < 0 ? kz_fail(b->status, "%s", b->message)
                           : replay(sink, &b->data, &strings, &tokens);
        uint64_t end = b->end;
        pthread_mutex_lock(&p.lock);
        b->state = SLOT_EMPTY;
        pthread_mutex_unlock(&p.lock);
        if (rc == KZ_OK && sink->progress) sink->progress(sink->ctx, end);
        if (rc == KZ_OK && !p.input_over) rc = read_chunk(&p, k + ahead);
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
        for (int r = 0; r < KZ_PIPELINE_DEPTH; r++) {
            kz_buf_free(&w->ring[r].data);
            kz_buf_free(&w->ring[r].text);
        }
    }
    free(p.workers);
    kz_buf_free(&strings);
    kz_buf_free(&tokens);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.changed);
    return rc;
}
