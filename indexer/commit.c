/* commit.c - making a writer's changes durable: flushing the builder to a segment, deleting
 * documents, the tiered merge policy, the atomic manifest switch, and removing files no manifest
 * names.
 *
 * The commit protocol: (1) flush buffered documents to a new segment file and fsync it; (2)
 * write each changed deletion set to a new deletion file and fsync it; (3) merge segments as the
 * policy asks, into new files; (4) write MANIFEST.tmp, fsync, rename it over MANIFEST, fsync the
 * directory; (5) remove the files the new manifest no longer names. A crash before the rename
 * leaves the old manifest, which names only old files, all intact; a crash after it leaves the
 * new one, whose files were all fsynced first. Unnamed files are leftovers that readers never
 * look at and the next writer removes. */
#include "writer_internal.h"

#include "analyzer_internal.h"
#include "error.h"
#include "fileio.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Merge factor of the tiered policy: when this many segments of the same size tier exist they
 * are merged into one, so a collection of N passages has O(log N) segments and each passage is
 * rewritten O(log N) times. Lucene and tantivy use 10 too. */
#define MERGE_FACTOR 10
/* A segment with more than this share of deleted passages is rewritten without them. */
#define MAX_DELETED_SHARE 0.3

int kz_writer_open_segment(kz_writer *w, uint64_t id, int committed, kz_writer_segment **out)
{
    if (w->nsegs == w->segs_cap) {
        uint32_t cap = w->segs_cap ? w->segs_cap * 2 : 8;
        kz_writer_segment *grown = realloc(w->segs, cap * sizeof *grown);
        if (grown == NULL) return KZ_ENOMEM_FAIL();
        w->segs = grown;
        w->segs_cap = cap;
    }
    char name[KZ_FILE_NAME_MAX];
    kz_segment_file_name(name, id);
    char *path = kz_path_join(w->dir, name);
    if (path == NULL) return KZ_ENOMEM;
    kz_writer_segment *ws = &w->segs[w->nsegs];
    memset(ws, 0, sizeof *ws);
    int rc = kz_segment_open(&ws->seg, path, id);
    free(path);
    KZ_TRY(rc);
    ws->committed = committed;
    w->nsegs++;
    *out = ws;
    return KZ_OK;
}

/* Writes the pending segment under a fresh id and points its documents' ranges at it. On
 * failure the parts stay pending for the next attempt. */
static int write_pending(kz_writer *w)
{
    uint64_t id = w->next_id++;
    KZ_TRY(kz_segment_file_write(w->dir, id, &w->pending, NULL));
    kz_writer_segment *ws;
    KZ_TRY(kz_writer_open_segment(w, id, 0, &ws));
    uint32_t index = w->nsegs - 1;
    for (size_t i = 0; i < w->npending_entries; i++) {
        kz_file_entry *e = &w->reg.entries[w->builder_entries[i]];
        for (size_t r = 0; r < e->nranges; r++)
            if (e->ranges[r].seg == KZ_IN_PENDING) e->ranges[r].seg = index;
    }
    /* Entries added to the builder since stay listed. */
    memmove(w->builder_entries, w->builder_entries + w->npending_entries,
            (w->nbuilder_entries - w->npending_entries) * sizeof *w->builder_entries);
    w->nbuilder_entries -= w->npending_entries;
    w->npending_entries = 0;
    kz_segment_parts_free(&w->pending);
    w->has_pending = 0;
    return KZ_OK;
}

int kz_writer_flush(kz_writer *w)
{
    if (w->has_pending) KZ_TRY(write_pending(w));
    if (kz_segment_builder_docs(w->builder) == 0) return KZ_OK;
    memset(&w->pending, 0, sizeof w->pending);
    int rc = kz_segment_builder_finish(w->builder, &w->pending);
    if (rc < 0) {
        kz_segment_parts_free(&w->pending);
        return rc;
    }
    for (size_t i = 0; i < w->nbuilder_entries; i++) {
        kz_file_entry *e = &w->reg.entries[w->builder_entries[i]];
        for (size_t r = 0; r < e->nranges; r++)
            if (e->ranges[r].seg == KZ_IN_BUILDER) e->ranges[r].seg = KZ_IN_PENDING;
    }
    w->npending_entries = w->nbuilder_entries;
    w->has_pending = 1;
    return write_pending(w);
}

/* ---- deletions ---- */

typedef struct token_ref {
    uint32_t off, len, position;
} token_ref;

typedef struct count_ctx {
    kz_buf terms;  /* term bytes */
    kz_buf tokens; /* token_ref entries */
} count_ctx;

static int collect_token(void *ctx, const kz_token *t)
{
    count_ctx *c = ctx;
    token_ref ref = {(uint32_t)c->terms.len, (uint32_t)t->term_len, t->position};
    KZ_TRY(kz_buf_append(&c->terms, t->term, t->term_len));
    return kz_buf_append(&c->tokens, &ref, sizeof ref);
}

static _Thread_local const uint8_t *sort_terms; /* qsort has no context argument */

static int cmp_ref(const void *a, const void *b)
{
    const token_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(sort_terms + x->off, sort_terms + y->off, n);
    if (c == 0) c = (x->len > y->len) - (x->len < y->len);
    if (c == 0) c = (x->position > y->position) - (x->position < y->position);
    return c;
}

/* Adds the term statistics of one stored passage to dels: re-analysing the stored text gives
 * exactly the tokens it was indexed with (the analyzer is deterministic and the dictionary is
 * the index's own). tf counts distinct positions, as the inverter does. */
static int count_passage_terms(kz_writer *w, kz_deletes *dels, const char *text, size_t len,
                               count_ctx *c)
{
    kz_buf_clear(&c->terms);
    kz_buf_clear(&c->tokens);
    int rc = kz_analyze(w->analyzer, text, len, collect_token, c);
    if (rc != KZ_OK) return rc < 0 ? rc : kz_fail(KZ_ERROR, "analysis stopped");
    token_ref *refs = (token_ref *)c->tokens.data;
    size_t n = c->tokens.len / sizeof *refs;
    sort_terms = c->terms.data;
    qsort(refs, n, sizeof *refs, cmp_ref);
    sort_terms = NULL;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        uint64_t tf = 0;
        while (j < n && refs[j].len == refs[i].len &&
               memcmp(c->terms.data + refs[j].off, c->terms.data + refs[i].off, refs[i].len) == 0) {
            if (j == i || refs[j].position != refs[j - 1].position) tf++;
            j++;
        }
        KZ_TRY(kz_deletes_add_term(dels, (const char *)c->terms.data + refs[i].off, refs[i].len, 1,
                                   tf));
        i = j;
    }
    return KZ_OK;
}

int kz_writer_delete_doc(kz_writer *w, uint32_t seg, uint32_t doc)
{
    kz_writer_segment *ws = &w->segs[seg];
    if (ws->dels.bits == NULL) KZ_TRY(kz_deletes_init(&ws->dels, ws->seg->npassages, NULL));
    uint32_t first, n;
    KZ_TRY(kz_segment_doc_range(ws->seg, doc, &first, &n));
    kz_store_reader passages;
    kz_segment_passage_reader(ws->seg, &passages);
    count_ctx c = {KZ_BUF_INIT, KZ_BUF_INIT};
    int rc = KZ_OK;
    for (uint32_t p = first; p < first + n; p++) {
        int fresh;
        KZ_CHECK(fresh = kz_deletes_mark(&ws->dels, p, kz_length(&ws->seg->lengths, p)));
        if (!fresh) continue;
        kz_passage_record r;
        KZ_CHECK(kz_segment_passage(ws->seg, &passages, p, &r));
        KZ_CHECK(count_passage_terms(w, &ws->dels, r.text, r.text_len, &c));
    }
    ws->dels_dirty = 1;
    w->dirty = 1;
done:
    kz_store_reader_free(&passages);
    kz_buf_free(&c.terms);
    kz_buf_free(&c.tokens);
    return rc;
}

/* ---- the merge policy ---- */

static uint32_t live_passages(const kz_writer_segment *ws)
{
    return ws->seg->npassages - ws->dels.ndeleted;
}

static unsigned tier_of(uint32_t live)
{
    unsigned t = 0;
    while (live >= MERGE_FACTOR) {
        live /= MERGE_FACTOR;
        t++;
    }
    return t;
}

/* Chooses one group of segments to merge (indices into w->segs, in order); *n = 0 for none.
 * all: merge every segment with live passages (optimize). */
static void choose_merge(const kz_writer *w, int all, uint32_t *which, uint32_t *n)
{
    *n = 0;
    if (all) {
        uint32_t live = 0, with_deletes = 0;
        for (uint32_t i = 0; i < w->nsegs; i++)
            if (live_passages(&w->segs[i]) > 0) {
                which[(*n)++] = i;
                live++;
                with_deletes += w->segs[i].dels.ndeleted > 0;
            }
        if (live == 1 && with_deletes == 0) *n = 0; /* already optimal */
        return;
    }
    for (uint32_t i = 0; i < w->nsegs; i++) {
        const kz_writer_segment *ws = &w->segs[i];
        uint32_t live = live_passages(ws);
        if (live > 0 && ws->dels.ndeleted > MAX_DELETED_SHARE * ws->seg->npassages) {
            which[0] = i;
            *n = 1;
            return;
        }
    }
    for (unsigned tier = 0; tier < 10; tier++) {
        *n = 0;
        for (uint32_t i = 0; i < w->nsegs; i++) {
            uint32_t live = live_passages(&w->segs[i]);
            if (live > 0 && tier_of(live) == tier) which[(*n)++] = i;
        }
        if (*n >= MERGE_FACTOR) return;
    }
    *n = 0;
}

/* Replaces segments which[0..n) by one merged segment placed where the first of them was. */
static int merge_group(kz_writer *w, const uint32_t *which, uint32_t n)
{
    uint64_t id = w->next_id++;
    uint32_t np = 0;
    KZ_TRY(kz_merge_segments(w, which, n, id, &np));
    kz_writer_segment merged = {0};
    if (np > 0) {
        kz_writer_segment *ws;
        KZ_TRY(kz_writer_open_segment(w, id, 0, &ws));
        merged = *ws;
        w->nsegs--;
    }
    /* Drop the merged segments (their files go when the manifest no longer names them). */
    uint32_t out = 0, k = 0;
    for (uint32_t i = 0; i < w->nsegs; i++) {
        if (k < n && which[k] == i) {
            /* Take segs[i] out first: the merged segment may go into the same slot. */
            kz_writer_segment old = w->segs[i];
            if (k == 0 && np > 0) w->segs[out++] = merged;
            if (!old.committed) unlink(old.seg->path);
            kz_segment_close(old.seg);
            kz_deletes_free(&old.dels);
            k++;
            continue;
        }
        w->segs[out++] = w->segs[i];
    }
    w->nsegs = out;
    return KZ_OK;
}

/* ---- commit ---- */

static int write_deletions(kz_writer *w, kz_writer_segment *ws)
{
    KZ_TRY(kz_deletes_finish(&ws->dels));
    uint64_t gen = w->next_id++;
    kz_buf buf = KZ_BUF_INIT;
    char name[KZ_FILE_NAME_MAX];
    kz_deletes_file_name(name, ws->seg->id, gen);
    char *path = kz_path_join(w->dir, name);
    int rc = path ? KZ_OK : KZ_ENOMEM;
    if (rc == KZ_OK) rc = kz_deletes_encode(&ws->dels, ws->seg->id, &buf);
    if (rc == KZ_OK) rc = kz_file_write_new(path, buf.data, buf.len);
    if (rc == KZ_OK) {
        ws->deletes_gen = gen;
        ws->dels_dirty = 0;
    }
    free(path);
    kz_buf_free(&buf);
    return rc;
}

/* Commits; all: merge everything into one segment first (optimize). */
static int commit(kz_writer *w, int all)
{
    KZ_TRY(kz_writer_flush(w));
    KZ_TRY(kz_writer_drop_partial(w));
    /* Segments left with no live passage are dropped whole. */
    uint32_t out = 0, before = w->nsegs;
    int relaid = 0; /* segs[] changed: registry ranges (indices into it) must be rebuilt */
    for (uint32_t i = 0; i < w->nsegs; i++) {
        kz_writer_segment *ws = &w->segs[i];
        if (live_passages(ws) == 0 && ws->seg->ndocs > 0 && ws->dels.ndeleted > 0) {
            if (!ws->committed) unlink(ws->seg->path);
            kz_segment_close(ws->seg);
            kz_deletes_free(&ws->dels);
            w->dirty = 1;
            continue;
        }
        w->segs[out++] = *ws;
    }
    w->nsegs = out;
    relaid = out != before;
    int rc = KZ_OK;
    uint32_t *which = malloc(((size_t)w->nsegs + 1) * sizeof *which);
    if (which == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    for (int rounds = 0; (all || !w->no_merge) && rounds < 64; rounds++) {
        uint32_t n;
        choose_merge(w, all, which, &n);
        if (n == 0) break;
        relaid = 1;
        KZ_CHECK(merge_group(w, which, n));
        w->dirty = 1;
        if (all) break;
    }
    if (!w->dirty) goto done;
    for (uint32_t i = 0; i < w->nsegs; i++)
        if (w->segs[i].dels_dirty) KZ_CHECK(write_deletions(w, &w->segs[i]));
    kz_manifest m = {0};
    m.generation = w->man.generation + 1;
    m.zh_dict_hash = w->dict_hash;
    for (uint32_t i = 0; i < w->nsegs; i++) {
        const kz_writer_segment *ws = &w->segs[i];
        kz_manifest_segment e = {ws->seg->id, ws->seg->npassages, ws->dels.ndeleted,
                                 ws->dels.ndeleted ? ws->deletes_gen : 0};
        rc = kz_manifest_add(&m, &e);
        if (rc < 0) {
            kz_manifest_free(&m);
            goto done;
        }
    }
    m.next_id = w->next_id;
    kz_buf buf = KZ_BUF_INIT;
    int renamed = 0;
    rc = kz_manifest_encode(&m, &buf);
    if (rc == KZ_OK) rc = kz_file_replace(w->dir, KZ_MANIFEST_NAME, buf.data, buf.len, &renamed);
    kz_buf_free(&buf);
    if (rc < 0 && !renamed) {
        kz_manifest_free(&m);
        goto done;
    }
    /* Once the rename happened the new manifest is what readers see, even if the directory
       fsync then failed: its segments are committed (closing must not remove them). */
    kz_manifest_free(&w->man);
    w->man = m;
    for (uint32_t i = 0; i < w->nsegs; i++) w->segs[i].committed = 1;
    w->dirty = 0;
    /* Without the fsync the rename may not survive a crash, and the old manifest would come
       back: keep the files it names for the next writer to clean. */
    if (rc == KZ_OK) kz_writer_clean_leftovers(w);
done:
    if (relaid) {
        int r2 = kz_writer_load_registry(w);
        if (rc == KZ_OK) rc = r2;
    }
    free(which);
    return rc;
}

int kz_writer_commit(kz_writer *w)
{
    return commit(w, 0);
}

int kz_writer_optimize(kz_writer *w)
{
    return commit(w, 1);
}

/* ---- leftovers ---- */

static int named(const kz_writer *w, const char *file)
{
    char name[KZ_FILE_NAME_MAX];
    for (uint32_t i = 0; i < w->nsegs; i++) {
        const kz_writer_segment *ws = &w->segs[i];
        kz_segment_file_name(name, ws->seg->id);
        if (strcmp(name, file) == 0) return 1;
        if (ws->deletes_gen) {
            kz_deletes_file_name(name, ws->seg->id, ws->deletes_gen);
            if (strcmp(name, file) == 0) return 1;
        }
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

void kz_writer_clean_leftovers(kz_writer *w)
{
    DIR *d = opendir(w->dir);
    if (d == NULL) return; /* nothing we can clean; readers ignore leftovers anyway */
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        const char *f = ent->d_name;
        int ours = (strncmp(f, "seg-", 4) == 0 && ends_with(f, ".kzs")) ||
                   (strncmp(f, "del-", 4) == 0 && ends_with(f, ".kzd")) || ends_with(f, ".tmp");
        if (!ours || named(w, f)) continue;
        char *path = kz_path_join(w->dir, f);
        if (path) unlink(path);
        free(path);
    }
    closedir(d);
}
