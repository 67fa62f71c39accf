/* source.h - reading sources: documents split into passages, JSON Lines, directory walks.
 *
 * A kz_document is one source document (a text file, or one JSON Lines record) and the passages
 * it is ranked by. Invariants after a successful kz_document_from_text/_from_jsonl:
 * passages are in increasing, non-overlapping byte order; every passage satisfies
 * start < end <= text_len, never begins or ends with whitespace (ASCII space, tab, CR, LF, VT,
 * FF), never begins or ends inside a UTF-8 character, and is at most KZ_PASSAGE_MAX bytes; line
 * is the 1-based line of the passage's first byte in the file. The strings name, title, date,
 * lang and meta_json are NUL-terminated and owned by the document (text is owned for JSON Lines,
 * borrowed from the caller for plain text). The rules are documented in docs/SOURCES.md. */
#ifndef KZ_SOURCE_H
#define KZ_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "kzsearch.h"

/* Longest passage in bytes. Longer paragraphs are split at sentence ends, else at whitespace,
 * else at a character boundary, into pieces of about equal length. */
#define KZ_PASSAGE_MAX 2048
/* A block of consecutive lines is one (hard-wrapped) paragraph when every line but its last has
 * at most this many characters (code points); otherwise each line is a passage. */
#define KZ_WRAP_COLUMNS 100
/* A first line of at most this many characters can be a title (see docs/SOURCES.md). */
#define KZ_TITLE_MAX 120
/* Bytes of the start of a file kz_source_kind looks at. */
#define KZ_SOURCE_HEAD 8192
/* Returned by kz_document_from_jsonl for a line of whitespace only (not an error: skip it). */
#define KZ_SOURCE_BLANK 1

typedef struct kz_passage {
    uint64_t start, end; /* byte range in the source (file or JSON text field) */
    uint32_t line;       /* 1-based line in the file */
} kz_passage;

typedef struct kz_document {
    const char *name; /* path as given/found, or the JSONL "id" (or "FILE:LINE" without one) */
    const char *text; /* the text passages index into: the file bytes (borrowed), or the
                         decoded JSON "text" string (owned) */
    size_t text_len;
    const char *title, *date, *lang; /* NULL when unknown; date normalised to YYYY-MM-DD */
    const char *meta_json;           /* JSONL: the other fields as a JSON object text, else NULL */
    kz_passage *passages;
    size_t npassages;
    /* private: owned storage, reused by the next kz_document_from_* call */
    kz_buf name_buf, title_buf, date_buf, lang_buf, meta_buf, text_buf, scratch, fields;
    size_t passages_cap;
} kz_document;

/* A zero-initialised kz_document (= KZ_DOCUMENT_INIT) is valid and empty. */
#define KZ_DOCUMENT_INIT                                                                           \
    {                                                                                              \
        0                                                                                          \
    }

/* Splits text into passages and extracts date/title (plain-text rules). text is borrowed: it
 * must outlive doc's use. doc may hold a previous document; its storage is reused. */
int kz_document_from_text(kz_document *doc, const char *name, const char *text, size_t len);

/* Frees owned storage and leaves doc empty and reusable. NULL is allowed. */
void kz_document_clear(kz_document *doc);

/* JSON Lines: reads the line [line, line+len) (line number lineno, 1-based) of file into doc.
 * Returns KZ_OK; KZ_SOURCE_BLANK for a line of whitespace only (doc is then empty); KZ_EINVAL and
 * a message "FILE:LINE: column C: ..." for a broken line (the caller reports it and goes on);
 * KZ_ENOMEM. */
int kz_document_from_jsonl(kz_document *doc, const char *file, uint64_t lineno, const char *line,
                           size_t len);

/* Normalises a date written YYYY-MM-DD, YYYY/MM/DD or YYYY.MM.DD (month and day may have one
 * digit; a time may follow after 'T' or a space) into out "YYYY-MM-DD" + NUL. Returns 1 if the
 * date is a valid calendar date (years 0001-9999), else 0. */
int kz_date_normalise(char out[11], const char *s, size_t len);

/* Internal, shared by passages.c and jsonl.c. kz_document_reset empties doc's visible fields and
 * keeps its storage. kz_document_split splits doc->text into doc->passages: plain_text non-zero
 * also applies the date-prefix and title rules; fixed_line non-zero gives every passage that
 * line (JSON Lines), else lines are counted in the text from 1. */
void kz_document_reset(kz_document *doc);
int kz_document_split(kz_document *doc, int plain_text, uint32_t fixed_line);
/* Length of the valid UTF-8 sequence at s[0..n), or 0 if there is none there (overlong forms,
 * surrogates and code points above U+10FFFF are invalid). */
size_t kz_utf8_valid_len(const unsigned char *s, size_t n);

/* Called by kz_walk for each regular file; return non-zero to stop the walk. */
typedef int (*kz_walk_fn)(void *ctx, const char *path, uint64_t size, int64_t mtime_ns);
/* Called by kz_walk for each entry it skips (message names the path and the reason). */
typedef void (*kz_walk_warn_fn)(void *ctx, const char *message);

/* Walks path (file or directory, recursively, in byte-wise sorted order of names, visiting each
 * directory once so symlinked directories cannot loop, skipping hidden entries such as .git) and
 * calls fn for each regular file with its path, size and mtime. Entries that are not regular
 * files or directories (FIFOs, sockets, devices), dangling symlinks and unreadable directories
 * are reported through warn_fn (may be NULL) and skipped. Returns KZ_OK, the non-zero value fn
 * returned to stop, KZ_ENOTFOUND if path does not exist, KZ_EIO if path itself cannot be read,
 * KZ_EINVAL if path is not a file or directory, or KZ_ENOMEM. */
int kz_walk(const char *path, kz_walk_fn fn, kz_walk_warn_fn warn_fn, void *ctx);

enum kz_source_kind { KZ_SOURCE_TEXT = 1, KZ_SOURCE_JSONL = 2, KZ_SOURCE_BINARY = 3 };

/* Classifies a file by its path and the first head_len bytes of its content (at most
 * KZ_SOURCE_HEAD are looked at): KZ_SOURCE_BINARY if the head holds a NUL byte or more than 10%
 * of its bytes are invalid UTF-8 or control characters other than TAB, LF, VT, FF, CR and ESC;
 * else KZ_SOURCE_JSONL if the name ends in ".jsonl" (any case); else KZ_SOURCE_TEXT. */
int kz_source_kind(const char *path, const uint8_t *head, size_t head_len);

#endif
