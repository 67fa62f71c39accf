/* kzsearch.h - the public C API of kzsearch, a full-text search engine.
 *
 * Layered by stability, as zstd's header is:
 *   1. status codes, errors and version;
 *   2. text analysis (the tokens the index stores);
 *   3. writing an index (kz_writer);
 *   4. reading and searching an index (kz_index, kz_query, kz_results).
 *
 * Conventions (libgit2's): fallible functions return int, KZ_OK (0) or a negative kz_status, and
 * kz_errmsg() gives this thread's message for the last failure. Output parameters come first.
 * Objects returned through `**out` belong to the caller and are released with their _free or
 * _close function, which accepts NULL. Pointers returned by getters are borrowed: valid while
 * their parent object lives. Text is UTF-8 given as (pointer, length). The library has no global
 * state, never prints and never exits. Option structs carry a version and are initialised with
 * their _INIT macro, so fields can be added without breaking callers. */
#ifndef KZSEARCH_H
#define KZSEARCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(KZ_BUILDING_LIBRARY) && defined(__GNUC__)
#define KZ_API __attribute__((visibility("default")))
#else
#define KZ_API
#endif

/* ---------------------------------------------------------------------------------------------
 * 1. Status, errors, version
 * ------------------------------------------------------------------------------------------- */

#define KZ_VERSION_MAJOR  0
#define KZ_VERSION_MINOR  1
#define KZ_VERSION_PATCH  0
#define KZ_VERSION_STRING "0.1.0"

typedef enum kz_status {
    KZ_OK = 0,
    KZ_ERROR = -1,     /* a failure with no more specific code */
    KZ_ENOMEM = -2,    /* an allocation failed */
    KZ_EIO = -3,       /* the operating system reported an error (message names the file) */
    KZ_ECORRUPT = -4,  /* an index file is damaged or not an index file */
    KZ_EINVAL = -5,    /* an argument or an input is not acceptable */
    KZ_ENOTFOUND = -6, /* no index, file or entry where one was expected */
    KZ_ELOCKED = -7,   /* another writer holds the index */
    KZ_EQUERY = -8,    /* the query text is malformed (message points at the problem) */
    KZ_EUTF8 = -9,     /* text is not valid UTF-8 and the caller asked for an error */
    KZ_ITEROVER = -10  /* an iterator has no more items (not an error) */
} kz_status;

/* Version of the library, "MAJOR.MINOR.PATCH". */
KZ_API const char *kz_version(void);

/* Short English name of a status code ("corrupt index"). Never NULL. */
KZ_API const char *kz_status_name(int status);

/* This thread's message for its most recent failure, or "". Valid until this thread's next call
 * into the library. */
KZ_API const char *kz_errmsg(void);

/* ---------------------------------------------------------------------------------------------
 * 2. Text analysis
 *
 * The analyzer turns text into the terms the index stores and queries look up: UTF-8
 * validation, Unicode word breaking (UAX #29), NFKC + case folding, script routing (Latin →
 * English Snowball, Cyrillic → Russian Snowball, Han → Traditional→Simplified conversion and
 * dictionary segmentation in search mode). The same text always gives the same tokens.
 * ------------------------------------------------------------------------------------------- */

typedef enum kz_script {
    KZ_SCRIPT_OTHER = 0, /* alphabetic scripts without a stemmer, symbols */
    KZ_SCRIPT_LATIN = 1,
    KZ_SCRIPT_CYRILLIC = 2,
    KZ_SCRIPT_HAN = 3,
    KZ_SCRIPT_DIGIT = 4, /* a token made only of digits (and number punctuation) */
    KZ_SCRIPT_KANA = 5,
    KZ_SCRIPT_HANGUL = 6
} kz_script;

/* Short lower-case name of a script ("latin", "han"). Never NULL. */
KZ_API const char *kz_script_name(int script);

typedef struct kz_token {
    const char *term;  /* the normalised term; borrowed, valid during the callback only */
    size_t term_len;   /* bytes in term */
    uint32_t position; /* token position; equal positions are alternatives (search mode) */
    size_t start;      /* byte offset of the token's first byte in the analysed text */
    size_t end;        /* byte offset one past its last byte */
    int script;        /* a kz_script */
} kz_token;

/* Called once per token, in order of position. Return 0 to go on, non-zero to stop (kz_analyze
 * then returns that value). */
typedef int (*kz_token_fn)(void *ctx, const kz_token *token);

typedef enum kz_utf8_policy {
    KZ_UTF8_REPLACE = 0, /* invalid sequences become U+FFFD (which is not indexed) */
    KZ_UTF8_REJECT = 1   /* invalid UTF-8 makes kz_analyze fail with KZ_EUTF8 */
} kz_utf8_policy;

typedef struct kz_analyzer_options {
    unsigned version;    /* KZ_ANALYZER_OPTIONS_VERSION */
    int utf8_policy;     /* a kz_utf8_policy */
    const char *zh_dict; /* compiled Chinese dictionary file, or NULL for the built-in one */
    int no_t2s;          /* non-zero: do not convert Traditional to Simplified Chinese */
    int query_mode;      /* non-zero: segment Chinese coarsely (precise mode), as for query words;
                             zero: search mode, which also emits the words inside longer words */
} kz_analyzer_options;

#define KZ_ANALYZER_OPTIONS_VERSION 1
#define KZ_ANALYZER_OPTIONS_INIT                                                                   \
    {                                                                                              \
        KZ_ANALYZER_OPTIONS_VERSION, KZ_UTF8_REPLACE, NULL, 0, 0                                   \
    }

typedef struct kz_analyzer kz_analyzer;

/* Creates an analyzer. opts may be NULL for the defaults. An analyzer is not safe to use from
 * two threads at once; kz_analyzer_clone() gives another one that shares the read-only data
 * (dictionaries) and is cheap to make. */
KZ_API int kz_analyzer_new(kz_analyzer **out, const kz_analyzer_options *opts);
KZ_API int kz_analyzer_clone(kz_analyzer **out, const kz_analyzer *analyzer);
KZ_API void kz_analyzer_free(kz_analyzer *analyzer);

/* Analyses text and calls fn for each token. Returns KZ_OK, a negative kz_status, or the
 * non-zero value fn returned to stop. */
KZ_API int kz_analyze(kz_analyzer *analyzer, const char *text, size_t len, kz_token_fn fn,
                      void *ctx);

/* ---------------------------------------------------------------------------------------------
 * 3. Writing an index
 *
 * An index is a directory of immutable segments and a manifest naming the live ones. One writer
 * at a time holds the directory's kernel lock (flock); readers are never blocked. Call order:
 * kz_writer_open, then any number of kz_writer_add_* / kz_writer_remove_*, then kz_writer_commit
 * (which may be called again after more additions), then kz_writer_close. Closing without
 * committing discards the uncommitted changes.
 * ------------------------------------------------------------------------------------------- */

typedef struct kz_writer_options {
    unsigned version;     /* KZ_WRITER_OPTIONS_VERSION */
    size_t memory_budget; /* bytes of postings buffered before a segment is flushed; 0: 256 MiB */
    int no_merge;         /* non-zero: do not merge segments at commit */
    unsigned threads;     /* threads that parse and analyse JSON Lines ahead of the writer;
                             0: one per core (at most 4); 1: none (all in the caller's thread) */
    /* Version 2. Word pairs: a segment indexes each pair of adjacent words that are both in at
     * least max(this, 1/384 of its passages) of its passages, which makes phrases of common
     * words several times faster (on the benchmark collection: half as many postings again, an
     * index a quarter larger). 0: 64; KZ_NO_PAIRS: none. */
    uint32_t pair_min_df;
} kz_writer_options;

#define KZ_NO_PAIRS               UINT32_MAX
#define KZ_WRITER_OPTIONS_VERSION 2
#define KZ_WRITER_OPTIONS_INIT                                                                     \
    {                                                                                              \
        KZ_WRITER_OPTIONS_VERSION, 0, 0, 0, 0                                                      \
    }

/* Metadata of a document added as text. Every field may be NULL. */
typedef struct kz_doc_meta {
    const char *title;
    const char *date; /* YYYY-MM-DD */
    const char *lang; /* a language tag such as "en" or "zh" */
    const char *json; /* other metadata as a JSON object text, stored as given */
} kz_doc_meta;

/* Progress and outcome of kz_writer_add_path, filled as files are read. */
typedef struct kz_add_report {
    uint64_t files_seen;
    uint64_t files_added;     /* new files indexed */
    uint64_t files_updated;   /* changed files re-indexed */
    uint64_t files_unchanged; /* skipped: same size, mtime and content hash */
    uint64_t files_removed;   /* files indexed before that no longer exist under the path */
    uint64_t files_skipped;   /* binary, unreadable or otherwise not indexed (see warnings) */
    uint64_t bytes_read;
    uint64_t passages;
} kz_add_report;

/* Called for progress (warning == NULL) and for each non-fatal problem, such as a binary file
 * skipped or a broken JSON line (warning names the file and line). */
typedef void (*kz_add_fn)(void *ctx, const kz_add_report *report, const char *warning);

typedef struct kz_writer kz_writer;

/* Opens (creating if needed) the index directory dir for writing. Fails with KZ_ELOCKED if
 * another live writer holds it. */
KZ_API int kz_writer_open(kz_writer **out, const char *dir, const kz_writer_options *opts);

/* Indexes a file or a directory tree: plain-text files (one passage per paragraph) and JSON
 * Lines files (.jsonl). Files indexed before under path are updated incrementally: new files are
 * added, changed ones re-indexed, deleted ones removed. fn may be NULL. */
KZ_API int kz_writer_add_path(kz_writer *writer, const char *path, kz_add_fn fn, void *ctx);

/* Indexes one document given as text, under the name doc (which replaces any document of that
 * name). meta may be NULL. */
KZ_API int kz_writer_add_text(kz_writer *writer, const char *doc, const char *text, size_t len,
                              const kz_doc_meta *meta);

/* Removes the document named doc, if indexed. */
KZ_API int kz_writer_remove_doc(kz_writer *writer, const char *doc);

/* Makes every change so far durable and visible to readers that open the index afterwards. */
KZ_API int kz_writer_commit(kz_writer *writer);

/* Merges all segments into one (and purges deleted passages), then commits. */
KZ_API int kz_writer_optimize(kz_writer *writer);

/* Releases the writer and its lock, discarding uncommitted changes. NULL is allowed. */
KZ_API void kz_writer_close(kz_writer *writer);

/* ---------------------------------------------------------------------------------------------
 * 4. Reading and searching
 * ------------------------------------------------------------------------------------------- */

typedef struct kz_index kz_index;

/* Opens the index directory dir read-only, on a snapshot of its current manifest. A kz_index
 * is safe to search from many threads at once. */
KZ_API int kz_index_open(kz_index **out, const char *dir);
KZ_API void kz_index_close(kz_index *index);

typedef struct kz_index_stats {
    uint64_t documents;
    uint64_t passages;      /* live passages */
    uint64_t terms;         /* distinct words, summed over segments */
    uint64_t tokens;        /* total passage length in tokens */
    double avg_passage_len; /* tokens per live passage */
    uint32_t segments;
    uint64_t bytes;      /* size of the files of the snapshot */
    uint64_t generation; /* manifest generation */
    uint64_t word_pairs; /* pairs of adjacent common words indexed for phrases, summed over
                            segments (kz_writer_options.pair_min_df) */
} kz_index_stats;

KZ_API int kz_index_stats_get(kz_index_stats *out, const kz_index *index);

/* Verifies every checksum and structural invariant of the index. On damage returns
 * KZ_ECORRUPT with a message naming the file and section. */
KZ_API int kz_index_check(const char *dir);

typedef enum kz_algorithm {
    KZ_ALGO_AUTO = 0,
    KZ_ALGO_EXHAUSTIVE = 1,
    KZ_ALGO_MAXSCORE = 2,
    KZ_ALGO_BMW = 3
} kz_algorithm;

typedef struct kz_search_options {
    unsigned version;       /* KZ_SEARCH_OPTIONS_VERSION */
    uint32_t k;             /* results wanted; 0: 10 */
    uint32_t offset;        /* results to skip (paging) */
    int default_and;        /* non-zero: bare words are required (as with `--and`) */
    int group_by_doc;       /* non-zero: only the best passage of each document */
    int algorithm;          /* a kz_algorithm */
    double k1;              /* BM25 k1; < 0: 1.2 */
    double b;               /* BM25 b; < 0: 0.75 */
    int explain;            /* non-zero: fill kz_hit.explain */
    uint32_t snippet_bytes; /* target snippet length; 0: 240 */
    int ids_only;           /* non-zero: hits hold only passage and score (no document, text,
                               snippet or explanation): ranking alone, the fastest search */
} kz_search_options;

#define KZ_SEARCH_OPTIONS_VERSION 1
#define KZ_SEARCH_OPTIONS_INIT                                                                     \
    {                                                                                              \
        KZ_SEARCH_OPTIONS_VERSION, 10, 0, 0, 0, KZ_ALGO_AUTO, -1, -1, 0, 0, 0                      \
    }

typedef struct kz_range {
    uint32_t start; /* byte offset */
    uint32_t end;   /* one past the last byte */
} kz_range;

typedef struct kz_term_explain {
    const char *term; /* the analysed term (or phrase, terms joined by spaces) */
    uint32_t tf;      /* occurrences in the passage */
    uint64_t df;      /* passages containing it, collection-wide */
    double idf;
    double score; /* its contribution to the passage's score */
} kz_term_explain;

typedef struct kz_explain {
    uint64_t N;   /* live passages in the collection */
    double avgdl; /* average passage length in tokens */
    uint32_t dl;  /* this passage's length in tokens */
    double k1, b;
    size_t nterms;
    const kz_term_explain *terms;
} kz_explain;

typedef struct kz_hit {
    uint64_t passage; /* passage id, unique within the snapshot */
    double score;
    const char *doc;     /* document path or id */
    uint32_t line;       /* 1-based line of the passage's first byte in its source */
    uint64_t start, end; /* byte range of the passage in its source */
    const char *title;   /* "" when unknown */
    const char *date;    /* "YYYY-MM-DD" or "" */
    const char *lang;    /* "" when unknown */
    const char *text;    /* the whole passage, NUL-terminated */
    size_t text_len;
    const char *snippet; /* an excerpt of text around the best matches */
    size_t snippet_len;
    size_t snippet_offset;      /* where snippet starts in text */
    const kz_range *highlights; /* matches, as byte ranges of snippet */
    size_t nhighlights;
    const kz_range *text_highlights; /* the same matches as byte ranges of text */
    size_t ntext_highlights;
    const kz_explain *explain; /* NULL unless asked for */
} kz_hit;

typedef struct kz_results kz_results;

/* Parses and runs query (syntax in the README) on the index. Results belong to the caller. A
 * malformed query fails with KZ_EQUERY and a message that points at the problem. */
KZ_API int kz_search(kz_results **out, kz_index *index, const char *query, size_t len,
                     const kz_search_options *opts);

KZ_API size_t kz_results_count(const kz_results *results);
/* Total passages that matched (after grouping), when the algorithm counted them; else a lower
 * bound equal to the results returned. */
KZ_API uint64_t kz_results_total(const kz_results *results);
/* Hit i (0-based) or NULL when i >= count. Borrowed from results. */
KZ_API const kz_hit *kz_results_hit(const kz_results *results, size_t i);
/* Messages about the query worth telling its author (a prefix expansion cut short), or "". */
KZ_API const char *kz_results_notice(const kz_results *results);
KZ_API void kz_results_free(kz_results *results);

#ifdef __cplusplus
}
#endif

#endif
