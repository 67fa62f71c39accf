/* jsonl_pipeline.h - parsing and analysing a JSON Lines file on worker threads, ahead of the
 * writer.
 *
 * Parsing records and analysing their passages is most of the work of indexing; building the
 * segment is the rest and must stay in one thread. So the calling thread reads the file in
 * chunks of whole lines (line_reader.h); worker i parses and analyses chunks i, i + n, i + 2n,
 * ... with its own analyzer (a clone: analysis gives the same tokens whichever clone runs it),
 * writing each chunk's documents into a batch: their metadata, passages and every passage's
 * tokens. The calling thread takes the batches back in file order and replays them through the
 * sink, so what the sink sees is exactly what a sequential parse-and-analyse loop would produce.
 * A worker runs at most KZ_PIPELINE_DEPTH chunks ahead of the caller, and the file is read no
 * further ahead than that, which bounds memory whatever the file's size. */
#ifndef KZ_JSONL_PIPELINE_H
#define KZ_JSONL_PIPELINE_H

#include "inverter.h"
#include "kzsearch.h"
#include "line_reader.h"
#include "segment.h"

#include <stddef.h>
#include <stdint.h>

/* Batches a worker may have ready before the caller takes them. */
#define KZ_PIPELINE_DEPTH 2

/* Called on the calling thread, in file order. Each returns KZ_OK or a negative status, which
 * stops the pipeline and is returned by kz_jsonl_pipeline. */
typedef struct kz_pipeline_sink {
    void *ctx;
    /* The tokens of the current passage, in order, all at once (none: not called); the array
     * and the terms are borrowed for the call. */
    int (*tokens)(void *ctx, const kz_inverter_token *tokens, size_t n);
    /* The end of a passage (rec->doc is not set). */
    int (*passage)(void *ctx, const kz_passage_record *rec);
    /* The end of a document with at least one passage: name, title, date, lang and meta are
     * set (absent ones as ""); the other fields are not. */
    int (*document)(void *ctx, const kz_doc_entry *doc);
    /* A broken line, with a message naming the file and line; the pipeline goes on. */
    void (*warning)(void *ctx, const char *message);
    /* The file's bytes up to offset `done` have been replayed. May be NULL. */
    void (*progress)(void *ctx, size_t done);
} kz_pipeline_sink;

/* Parses and analyses the rest of the JSON Lines file that reader reads, with nworkers >= 1
 * worker threads, each on a clone of analyzer, and replays the results through sink. A read
 * error stops the pipeline and is returned. */
int kz_jsonl_pipeline(const kz_analyzer *analyzer, unsigned nworkers, kz_line_reader *reader,
                      const kz_pipeline_sink *sink);

#endif
