/* writer.c - the public writer API: open an index for writing, add files and texts, remove
 * documents (commit.c makes the changes durable).
 *
 * Incremental indexing: kz_writer_add_path compares each file met by the walk with the
 * registry (size and mtime; when they differ, the XXH3 of the content). Unchanged files are
 * skipped; changed ones have their old documents deleted and are indexed again; indexed files
 * under the path that the walk no longer meets are deleted. A file's documents are contiguous
 * in one or more segments, and a document's passages are contiguous in its segment. */
#include "writer_internal.h"

#include "analyzer_internal.h"
#include "error.h"
#include "fileio.h"
#include "jsonl_pipeline.h"
#include "line_reader.h"
#include "source.h"
#include "zh_dict.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define DEFAULT_BUDGET ((size_t)256 << 20)

/* ---- opening ---- */

static int make_dir(const char *dir)
{
    char *copy = strdup(dir);
    if (copy == NULL) return KZ_ENOMEM_FAIL();
    int rc = KZ_OK;
    for (char *p = copy + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
                rc = kz_fail_errno(KZ_EIO, "cannot create directory %s", copy);
                break;
            }
            *p = c;
            if (c == '\0') break;
        }
    }
    free(copy);
    return rc;
}

static int take_lock(kz_writer *w)
{
    char *path = kz_path_join(w->dir, KZ_LOCK_NAME);
    if (path == NULL) return KZ_ENOMEM;
    int rc = KZ_OK;
    w->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (w->lock_fd < 0) {
        rc = kz_fail_errno(KZ_EIO, "cannot open lock file %s", path);
    } else if (flock(w->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        rc = errno == EWOULDBLOCK
                 ? kz_fail(KZ_ELOCKED,
                           "another kzsearch writer is updating %s; wait for it to finish", w->dir)
                 : kz_fail_errno(KZ_EIO, "cannot lock %s", path);
    }
    free(path);
    return rc;
}

/* Maps dir/zh.dict, writing the built-in dictionary there first for a new index, so that the
 * index keeps the dictionary it was built with. */
static int load_dictionary(kz_writer *w, int new_index)
{
    char *path = kz_path_join(w->dir, KZ_ZHDICT_NAME);
    if (path == NULL) return KZ_ENOMEM;
    int rc = KZ_OK;
    int fd = -1;
    if (new_index) {
        size_t len;
        const void *blob = kz_zhdict_builtin(&len);
        KZ_CHECK(kz_file_replace(w->dir, KZ_ZHDICT_NAME, blob, len, NULL));
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = kz_fail_errno(KZ_ECORRUPT, "the index's Chinese dictionary %s is missing", path);
        goto done;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size == 0) {
        rc = kz_fail(KZ_ECORRUPT, "the index's Chinese dictionary %s is empty", path);
        goto done;
    }
    w->dict_len = (size_t)st.st_size;
    w->dict_map = mmap(NULL, w->dict_len, PROT_READ, MAP_SHARED, fd, 0);
    if (w->dict_map == MAP_FAILED) {
        w->dict_map = NULL;
        rc = kz_fail_errno(KZ_EIO, "cannot map %s", path);
        goto done;
    }
    kz_analyzer_options opts = KZ_ANALYZER_OPTIONS_INIT;
    rc = kz_analyzer_new_with_dict(&w->analyzer, &opts, w->dict_map, w->dict_len);
    if (rc == KZ_ECORRUPT) rc = kz_fail_context(rc, "%s", path);
    KZ_CHECK(rc);
    w->dict_hash = kz_analyzer_dict_hash(w->analyzer);
    if (!new_index && w->man.zh_dict_hash != w->dict_hash)
        rc = kz_fail(KZ_ECORRUPT, "%s is not the dictionary this index was built with", path);
done:
    if (fd >= 0) close(fd);
    free(path);
    return rc;
}

/* Fills the registry from the document tables of the segments (all documents must have been
 * flushed), replacing what it held. */
int kz_writer_load_registry(kz_writer *w)
{
    kz_registry_free(&w->reg);
    int rc = KZ_OK;
    for (uint32_t s = 0; s < w->nsegs && rc == KZ_OK; s++) {
        const kz_writer_segment *ws = &w->segs[s];
        kz_store_reader docs;
        kz_segment_doc_reader(ws->seg, &docs);
        for (uint32_t d = 0; d < ws->seg->ndocs && rc == KZ_OK; d++) {
            kz_doc_entry e;
            kz_file_entry *f;
            rc = kz_segment_doc(ws->seg, &docs, d, &e);
            if (rc < 0 || kz_deletes_has(&ws->dels, e.first_passage)) continue;
            rc = kz_registry_get(&w->reg, e.source, e.source_len, &f);
            if (rc < 0) break;
            f->size = e.size;
            f->mtime_ns = e.mtime_ns;
            f->content_hash = e.content_hash;
            rc = kz_registry_add_docs(f, s, d, 1);
        }
        kz_store_reader_free(&docs);
    }
    return rc;
}

/* One analysis thread per core, at most 4: the writer's own thread becomes the bottleneck
 * beyond that. */
static unsigned default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4 ? 4 : (unsigned)n;
}

int kz_writer_open(kz_writer **out, const char *dir, const kz_writer_options *opts)
{
    *out = NULL;
    if (dir == NULL || *dir == '\0') return kz_fail(KZ_EINVAL, "no index directory given");
    kz_writer *w = calloc(1, sizeof *w);
    if (w == NULL) return KZ_ENOMEM_FAIL();
    w->lock_fd = -1;
    int rc = KZ_OK;
    w->dir = strdup(dir);
    if (w->dir == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    w->budget = opts && opts->memory_budget ? opts->memory_budget : DEFAULT_BUDGET;
    w->no_merge = opts ? opts->no_merge : 0;
    w->pair_min_df = opts && opts->version >= 2 ? opts->pair_min_df : 0;
    w->threads = opts && opts->threads ? opts->threads : default_threads();
    KZ_CHECK(make_dir(dir));
    KZ_CHECK(take_lock(w));
    int new_index = 0;
    rc = kz_manifest_read(&w->man, dir);
    if (rc == KZ_ENOTFOUND) {
        new_index = 1;
        w->dirty = 1; /* the first commit creates the index, even an empty one */
        memset(&w->man, 0, sizeof w->man);
        w->man.next_id = 1;
        rc = KZ_OK;
    }
    KZ_CHECK(rc);
    w->next_id = w->man.next_id;
    KZ_CHECK(load_dictionary(w, new_index));
    w->man.zh_dict_hash = w->dict_hash;
    for (uint32_t i = 0; i < w->man.nsegments; i++) {
        kz_writer_segment *ws;
        KZ_CHECK(kz_writer_open_segment(w, w->man.segments[i].id, 1, &ws));
        const kz_manifest_segment *ms = &w->man.segments[i];
        if (ms->npassages != ws->seg->npassages) {
            rc = kz_fail(KZ_ECORRUPT, "segment %s does not match the manifest", ws->seg->path);
            goto done;
        }
        if (ms->deletes_gen) {
            char name[KZ_FILE_NAME_MAX];
            kz_deletes_file_name(name, ms->id, ms->deletes_gen);
            char *path = kz_path_join(dir, name);
            if (path == NULL) {
                rc = KZ_ENOMEM;
                goto done;
            }
            rc = kz_deletes_read(&ws->dels, path, ms->id, ms->npassages);
            free(path);
            KZ_CHECK(rc);
            ws->deletes_gen = ms->deletes_gen;
        }
    }
    kz_writer_clean_leftovers(w);
    KZ_CHECK(kz_segment_builder_new(&w->builder, w->pair_min_df));
    KZ_CHECK(kz_writer_load_registry(w));
done:
    if (rc < 0) {
        kz_writer_close(w);
        return rc;
    }
    *out = w;
    return KZ_OK;
}

/* ---- adding documents ---- */

static int on_token(void *ctx, const kz_token *t)
{
    return kz_segment_builder_token(ctx, t->term, t->term_len, t->position);
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Ends the document whose passages the builder holds, recording where it came from. */
static int end_document(kz_writer *w, kz_doc_entry *e, const char *source, uint64_t size,
                        int64_t mtime_ns, uint64_t content_hash)
{
    e->size = size;
    e->mtime_ns = mtime_ns;
    e->content_hash = content_hash;
    e->source = source;
    e->source_len = strlen(source);
    KZ_TRY(kz_segment_builder_end_doc(w->builder, e));
    w->dirty = 1;
    return KZ_OK;
}

/* Analyses and adds one document; source identifies where it came from. */
static int add_document(kz_writer *w, const kz_document *doc, const char *source, uint64_t size,
                        int64_t mtime_ns, uint64_t content_hash, uint64_t *passages)
{
    /* A document without passages (an empty file) is not recorded: nothing could find it, and a
       document entry without passages could never be deleted. */
    if (doc->npassages == 0) return KZ_OK;
    for (size_t i = 0; i < doc->npassages; i++) {
        const kz_passage *p = &doc->passages[i];
        const char *text = doc->text + p->start;
        size_t len = (size_t)(p->end - p->start);
        int rc = kz_analyze(w->analyzer, text, len, on_token, w->builder);
        if (rc != KZ_OK) return rc < 0 ? rc : kz_fail(KZ_ERROR, "analysis stopped");
        kz_passage_record rec = {0, p->line, p->start, p->end, text, len};
        KZ_TRY(kz_segment_builder_end_passage(w->builder, &rec));
    }
    kz_doc_entry e = {0};
    e.name = doc->name;
    e.name_len = strlen(doc->name);
    e.title = or_empty(doc->title);
    e.title_len = strlen(e.title);
    e.date = or_empty(doc->date);
    e.date_len = strlen(e.date);
    e.lang = or_empty(doc->lang);
    e.lang_len = strlen(e.lang);
    e.meta = or_empty(doc->meta_json);
    e.meta_len = strlen(e.meta);
    KZ_TRY(end_document(w, &e, source, size, mtime_ns, content_hash));
    *passages += doc->npassages;
    return KZ_OK;
}

/* Records that the builder's last ndocs documents belong to registry entry e. */
static int register_builder_docs(kz_writer *w, kz_file_entry *e, uint32_t first, uint32_t ndocs)
{
    if (ndocs == 0) return KZ_OK;
    KZ_TRY(kz_registry_add_docs(e, KZ_IN_BUILDER, first, ndocs));
    if (w->nbuilder_entries == w->builder_entries_cap) {
        size_t cap = w->builder_entries_cap ? w->builder_entries_cap * 2 : 64;
        size_t *grown = realloc(w->builder_entries, cap * sizeof *grown);
        if (grown == NULL) return KZ_ENOMEM_FAIL();
        w->builder_entries = grown;
        w->builder_entries_cap = cap;
    }
    w->builder_entries[w->nbuilder_entries++] = (size_t)(e - w->reg.entries);
    return KZ_OK;
}

/* Flushes the builder to a segment when it holds more than the memory budget. Safe only
 * between documents. */
static int maybe_flush(kz_writer *w)
{
    if (kz_segment_builder_memory(w->builder) < w->budget) return KZ_OK;
    return kz_writer_flush(w);
}

/* Deletes every document of registry entry index ei. */
static int remove_entry(kz_writer *w, size_t ei)
{
    kz_file_entry *e = &w->reg.entries[ei];
    for (size_t r = 0; r < e->nranges; r++)
        if (e->ranges[r].seg == KZ_IN_BUILDER || e->ranges[r].seg == KZ_IN_PENDING) {
            KZ_TRY(kz_writer_flush(w)); /* documents are deleted from segments only */
            e = &w->reg.entries[ei];
            break;
        }
    for (size_t r = 0; r < e->nranges; r++) {
        kz_doc_range *range = &e->ranges[r];
        for (uint32_t d = 0; d < range->ndocs; d++)
            KZ_TRY(kz_writer_delete_doc(w, range->seg, range->first_doc + d));
    }
    e->nranges = 0;
    w->dirty = 1;
    return KZ_OK;
}

typedef struct add_ctx {
    kz_writer *w;
    kz_add_fn fn;
    void *fn_ctx;
    kz_add_report report;
    kz_document doc;
    kz_buf text;           /* a text file's content, or a chunk of a JSON Lines file */
    int failed;            /* status of a fatal failure inside the walk callback */
    uint64_t bytes_before; /* bytes_read before the file being read */
} add_ctx;

static void warn(add_ctx *a, const char *fmt, ...) KZ_PRINTF(2, 3);
static void warn(add_ctx *a, const char *fmt, ...)
{
    if (a->fn == NULL) return;
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    a->fn(a->fn_ctx, &a->report, msg);
}

static void walk_warning(void *ctx, const char *message)
{
    add_ctx *a = ctx;
    a->report.files_skipped++;
    warn(a, "%s", message);
}

/* The writer's side of the JSON Lines pipeline: what the workers parsed and analysed, replayed
 * into the segment builder in file order. */
typedef struct jsonl_sink {
    add_ctx *a;
    const char *path;
    uint64_t size, hash;
    int64_t mtime;
    size_t ei; /* the file's registry entry */
} jsonl_sink;

static int sink_tokens(void *ctx, const kz_inverter_token *tokens, size_t n)
{
    return kz_segment_builder_tokens(((jsonl_sink *)ctx)->a->w->builder, tokens, n);
}

static int sink_passage(void *ctx, const kz_passage_record *rec)
{
    return kz_segment_builder_end_passage(((jsonl_sink *)ctx)->a->w->builder, rec);
}

static int sink_document(void *ctx, const kz_doc_entry *doc)
{
    jsonl_sink *s = ctx;
    kz_writer *w = s->a->w;
    kz_doc_entry e = *doc;
    uint32_t first = kz_segment_builder_docs(w->builder);
    KZ_TRY(end_document(w, &e, s->path, s->size, s->mtime, s->hash));
    KZ_TRY(register_builder_docs(w, &w->reg.entries[s->ei], first, 1));
    s->a->report.passages += doc->npassages;
    return maybe_flush(w);
}

static void sink_warning(void *ctx, const char *message)
{
    warn(((jsonl_sink *)ctx)->a, "%s", message);
}

static void sink_progress(void *ctx, size_t done)
{
    add_ctx *a = ((jsonl_sink *)ctx)->a;
    if (a->fn == NULL) return;
    a->report.bytes_read = a->bytes_before + done;
    a->fn(a->fn_ctx, &a->report, NULL);
}

/* Bytes a chunk of a JSON Lines file read by one thread: enough to amortise the read. */
#define KZ_JSONL_CHUNK ((size_t)1 << 20)

/* Indexes the JSON Lines file r reads: one document per line; broken lines are reported and
 * skipped. ei is the file's registry entry. With one thread, the lines are parsed and analysed
 * here, a chunk at a time; else on the pipeline's workers. */
static int index_jsonl(add_ctx *a, kz_line_reader *r, uint64_t size, int64_t mtime, uint64_t hash,
                       size_t ei)
{
    kz_writer *w = a->w;
    const char *path = r->path;
    if (w->threads > 1) {
        jsonl_sink s = {a, path, size, hash, mtime, ei};
        kz_pipeline_sink sink = {&s,           sink_tokens,  sink_passage, sink_document,
                                 sink_warning, sink_progress};
        KZ_TRY(kz_jsonl_pipeline(w->analyzer, w->threads, r, &sink));
        a->report.bytes_read = a->bytes_before + r->handed;
        return KZ_OK;
    }
    uint64_t lineno;
    int got;
    while ((got = kz_line_reader_next(r, &a->text, KZ_JSONL_CHUNK, &lineno)) > 0) {
        const char *text = (const char *)a->text.data;
        size_t len = a->text.len, at = 0;
        for (; at < len; lineno++) {
            const char *nl = memchr(text + at, '\n', len - at);
            size_t end = nl ? (size_t)(nl - text) : len;
            int rc = kz_document_from_jsonl(&a->doc, path, lineno, text + at, end - at);
            at = end + 1;
            if (rc == KZ_SOURCE_BLANK) continue;
            if (rc == KZ_EINVAL) {
                warn(a, "%s", kz_errmsg());
                continue;
            }
            KZ_TRY(rc);
            uint32_t first = kz_segment_builder_docs(w->builder);
            KZ_TRY(add_document(w, &a->doc, path, size, mtime, hash, &a->report.passages));
            KZ_TRY(register_builder_docs(w, &w->reg.entries[ei], first,
                                         kz_segment_builder_docs(w->builder) - first));
            KZ_TRY(maybe_flush(w));
        }
        a->report.bytes_read = a->bytes_before + r->handed;
        if (a->fn) a->fn(a->fn_ctx, &a->report, NULL); /* progress within a large file */
    }
    return got;
}

static int on_file(void *ctx, const char *path, uint64_t size, int64_t mtime_ns)
{
    add_ctx *a = ctx;
    kz_writer *w = a->w;
    int rc = KZ_OK;
    kz_line_reader r = {.fd = -1, .pending = KZ_BUF_INIT};
    a->report.files_seen++;
    size_t plen = strlen(path);
    kz_file_entry *e = kz_registry_find(&w->reg, path, plen);
    int indexed = e != NULL && e->nranges > 0;
    if (e) e->seen = 1;
    if (indexed && e->size == size && e->mtime_ns == mtime_ns) {
        a->report.files_unchanged++;
        goto report;
    }
    /* The kind from the file's head, then the hash of a file that may be indexed: every
     * document records it, and the file is read in chunks after (a read error here skips the
     * file). A binary file is never read further: nothing of it is indexed. */
    const uint8_t *head = NULL;
    size_t head_len = 0;
    uint64_t hash = 0;
    rc = kz_line_reader_open(&r, path, size);
    if (rc == KZ_OK) rc = kz_line_reader_peek(&r, KZ_SOURCE_HEAD, &head, &head_len);
    int kind = rc == KZ_OK ? kz_source_kind(path, head, head_len) : KZ_SOURCE_BINARY;
    if (rc == KZ_OK && kind != KZ_SOURCE_BINARY) rc = kz_file_content_hash(path, size, &hash);
    if (rc == KZ_EIO) {
        a->report.files_skipped++;
        warn(a, "%s (skipped)", kz_errmsg());
        rc = KZ_OK;
        goto report;
    }
    if (rc < 0) goto fail;
    a->bytes_before = a->report.bytes_read;
    if (indexed && kind != KZ_SOURCE_BINARY && e->content_hash == hash) {
        a->report.bytes_read += size;
        a->report.files_unchanged++;
        goto report;
    }
    if ((rc = kz_registry_get(&w->reg, path, plen, &e)) < 0) goto fail;
    e->seen = 1;
    size_t ei = (size_t)(e - w->reg.entries);
    if (indexed && (rc = remove_entry(w, ei)) < 0) goto fail;
    e = &w->reg.entries[ei];
    e->partial = 0; /* whatever an earlier failure left of the file was just removed */
    e->size = size;
    e->mtime_ns = mtime_ns;
    e->content_hash = hash;
    if (kind == KZ_SOURCE_BINARY) {
        a->report.files_skipped++;
        if (indexed) a->report.files_removed++;
        warn(a, "%s: binary file skipped", path);
        goto report;
    }
    if (kind == KZ_SOURCE_JSONL) {
        rc = index_jsonl(a, &r, size, mtime_ns, hash, ei);
    } else {
        rc = kz_line_reader_rest(&r, &a->text);
        a->report.bytes_read = a->bytes_before + a->text.len;
        if (rc == KZ_OK)
            rc = kz_document_from_text(&a->doc, path, (const char *)a->text.data, a->text.len);
        if (rc == KZ_OK) {
            uint32_t first = kz_segment_builder_docs(w->builder);
            rc = add_document(w, &a->doc, path, size, mtime_ns, hash, &a->report.passages);
            if (rc == KZ_OK)
                rc = register_builder_docs(w, &w->reg.entries[ei], first,
                                           kz_segment_builder_docs(w->builder) - first);
            if (rc == KZ_OK) rc = maybe_flush(w);
        }
    }
    if (rc < 0) goto fail;
    if (indexed)
        a->report.files_updated++;
    else
        a->report.files_added++;
report:
    kz_line_reader_close(&r);
    if (a->fn) a->fn(a->fn_ctx, &a->report, NULL);
    return 0;
fail:
    kz_line_reader_close(&r);
    /* The file may be indexed in part, with its size, mtime and hash already recorded: make the
       next walk of this writer see it as changed, so that it is indexed again in full. */
    e = kz_registry_find(&w->reg, path, plen);
    if (e != NULL) {
        e->size = UINT64_MAX;
        e->content_hash = ~e->content_hash;
        /* And if it is committed before that, commit without it (kz_writer_drop_partial):
           committed, it would look unchanged to every later writer. */
        e->partial = 1;
    }
    a->failed = rc;
    return 1; /* stop the walk */
}

int kz_writer_drop_partial(kz_writer *w)
{
    for (size_t i = 0; i < w->reg.nentries; i++) {
        if (!w->reg.entries[i].partial) continue;
        if (w->reg.entries[i].nranges > 0) KZ_TRY(remove_entry(w, i));
        w->reg.entries[i].partial = 0;
    }
    return KZ_OK;
}

/* The absolute, symlink-free form of path, so a file has one name whatever the current
 * directory when it is indexed. */
static int canonical_path(const char *path, char **out)
{
    char *real = realpath(path, NULL);
    if (real == NULL)
        return kz_fail_errno(errno == ENOENT ? KZ_ENOTFOUND : KZ_EIO, "cannot index %s", path);
    *out = real;
    return KZ_OK;
}

static int under(const char *source, size_t len, const char *root, size_t rlen)
{
    if (len < rlen || memcmp(source, root, rlen) != 0) return 0;
    return len == rlen || source[rlen] == '/' || (rlen == 1 && root[0] == '/');
}

int kz_writer_add_path(kz_writer *w, const char *path, kz_add_fn fn, void *ctx)
{
    char *root = NULL;
    KZ_TRY(canonical_path(path, &root));
    add_ctx a = {0};
    a.w = w;
    a.fn = fn;
    a.fn_ctx = ctx;
    for (size_t i = 0; i < w->reg.nentries; i++) w->reg.entries[i].seen = 0;
    int rc = kz_walk(root, on_file, walk_warning, &a);
    if (a.failed < 0) rc = a.failed;
    if (rc > 0) rc = KZ_OK;
    /* Files indexed under root before that the walk did not meet are gone. */
    size_t rlen = strlen(root);
    for (size_t i = 0; rc == KZ_OK && i < w->reg.nentries; i++) {
        kz_file_entry *e = &w->reg.entries[i];
        if (e->seen || e->nranges == 0 || !under(e->source, e->source_len, root, rlen)) continue;
        rc = remove_entry(w, i);
        a.report.files_removed++;
    }
    if (fn && rc == KZ_OK) fn(ctx, &a.report, NULL);
    kz_document_clear(&a.doc);
    kz_buf_free(&a.text);
    free(root);
    return rc;
}

int kz_writer_add_text(kz_writer *w, const char *name, const char *text, size_t len,
                       const kz_doc_meta *meta)
{
    if (name == NULL || *name == '\0') return kz_fail(KZ_EINVAL, "a document needs a name");
    KZ_TRY(kz_writer_remove_doc(w, name));
    kz_document doc = KZ_DOCUMENT_INIT;
    int rc = kz_document_from_text(&doc, name, text, len);
    if (rc == KZ_OK && meta) {
        if (meta->title) doc.title = meta->title;
        if (meta->date) doc.date = meta->date;
        if (meta->lang) doc.lang = meta->lang;
        if (meta->json) doc.meta_json = meta->json;
    }
    kz_file_entry *e;
    if (rc == KZ_OK) rc = kz_registry_get(&w->reg, name, strlen(name), &e);
    if (rc == KZ_OK) {
        size_t ei = (size_t)(e - w->reg.entries);
        e->size = len;
        e->mtime_ns = 0;
        e->content_hash = XXH3_64bits(text, len);
        uint32_t first = kz_segment_builder_docs(w->builder);
        uint64_t passages = 0;
        rc = add_document(w, &doc, name, len, 0, e->content_hash, &passages);
        if (rc == KZ_OK)
            rc = register_builder_docs(w, &w->reg.entries[ei], first,
                                       kz_segment_builder_docs(w->builder) - first);
        if (rc == KZ_OK) rc = maybe_flush(w);
    }
    kz_document_clear(&doc);
    return rc;
}

int kz_writer_remove_doc(kz_writer *w, const char *name)
{
    kz_file_entry *e = kz_registry_find(&w->reg, name, strlen(name));
    if (e == NULL || e->nranges == 0) return KZ_OK;
    return remove_entry(w, (size_t)(e - w->reg.entries));
}

/* ---- closing ---- */

void kz_writer_close(kz_writer *w)
{
    if (w == NULL) return;
    /* Segments flushed but never committed are leftovers; remove them now. */
    for (uint32_t i = 0; i < w->nsegs; i++) {
        kz_writer_segment *ws = &w->segs[i];
        if (!ws->committed && ws->seg) unlink(ws->seg->path);
        kz_segment_close(ws->seg);
        kz_deletes_free(&ws->dels);
    }
    free(w->segs);
    kz_segment_parts_free(&w->pending);
    kz_segment_builder_free(w->builder);
    kz_registry_free(&w->reg);
    free(w->builder_entries);
    kz_analyzer_free(w->analyzer);
    if (w->dict_map) munmap(w->dict_map, w->dict_len);
    kz_manifest_free(&w->man);
    if (w->lock_fd >= 0) close(w->lock_fd); /* releases the flock */
    free(w->dir);
    free(w);
}
