/* segment_format.h - the constants of the on-disk format shared by the writer and the reader.
 *
 * docs/FORMAT.md is the authoritative description; this header is its code form. Everything is
 * little-endian. A segment file is: a 32-byte header, sections (each starting on an 8-byte
 * boundary), a section table, and a 32-byte footer. The header, the table and each section carry
 * XXH3-64 checksums (the footer holds the checksum of header + table; each table entry holds its
 * section's). Readers validate the header, footer and table at open (a few hundred bytes) and
 * check section checksums in kz_segment_verify (`kzsearch check`), so opening does not read
 * whole files. */
#ifndef KZ_SEGMENT_FORMAT_H
#define KZ_SEGMENT_FORMAT_H

#include <stdint.h>

/* 7: LENGTHS holds a byte a passage and (passage, length) pairs for the long ones, read in
 * place (common/lengths.h); META's width field says 1; a FIELDS section (common/fields.h).
 * 6: the term dictionary's hash slots are 32 bits (term dictionary format 2, common/termdict.c).
 * 5: META's last field is the pair threshold, and the term dictionary holds word-pair terms
 * (common/pairs.h). 4: stores (documents, passages) in small blocks compressed with a dictionary of their own
 * (store format 2). 3: posting lists carry impacts, (frequency, length) frontiers per list and
 * block (2: documents as compressed records + passage starts + sources; 1: one document table). */
#define KZ_FORMAT_VERSION 7

#define KZ_SEG_MAGIC        "KZSEGMT1" /* 8 bytes, at offset 0 */
#define KZ_SEG_FOOTER_MAGIC "KZSEGEND" /* 8 bytes, the file's last */
#define KZ_SEG_HEADER_BYTES 32
#define KZ_SEG_FOOTER_BYTES 32
#define KZ_SEG_ENTRY_BYTES  32 /* one section-table entry */

/* Section kinds. A segment has each exactly once, in this order. */
enum kz_section_kind {
    KZ_SEC_META = 1,       /* segment statistics (fixed fields) */
    KZ_SEC_TERMS = 2,      /* term dictionary (common/termdict.h) */
    KZ_SEC_POSTINGS = 3,   /* doc streams of the posting lists (common/postings.h) */
    KZ_SEC_POSITIONS = 4,  /* position streams */
    KZ_SEC_LENGTHS = 5,    /* passage lengths in tokens (common/lengths.h) */
    KZ_SEC_DOCS = 6,       /* document records, compressed (a common/store.h store) */
    KZ_SEC_STORE = 7,      /* stored passages (common/store.h) */
    KZ_SEC_DOC_STARTS = 8, /* u32 first passage of each document, then the passage count */
    KZ_SEC_SOURCES = 9,    /* the files the documents came from, each stored once */
    KZ_SEC_FIELDS = 10,    /* the documents' date, language and name, for filters (fields.h) */
    KZ_SEC_COUNT = 11      /* one past the last kind */
};

/* META section: fixed little-endian fields at these offsets. */
#define KZ_META_NPASSAGES 0  /* u32 passages in the segment */
#define KZ_META_NDOCS     4  /* u32 documents */
#define KZ_META_TOTAL_LEN 8  /* u64 sum of passage lengths */
#define KZ_META_NTERMS    16 /* u64 distinct terms */
#define KZ_META_LEN_WIDTH 24 /* u32 bytes a passage in LENGTHS: KZ_LENGTHS_WIDTH */
#define KZ_META_PAIR_DF   28 /* u32 pair threshold (common/pairs.h); 0: no pair terms */
#define KZ_META_BYTES     32

/* LENGTHS' bytes a passage before the long passages' pairs (formats 1-6: 2 or 4, no pairs). */
#define KZ_LENGTHS_WIDTH 1

/* Manifest file: see common/manifest.h. */
#define KZ_MANIFEST_MAGIC "KZMANIF1"
#define KZ_MANIFEST_NAME  "MANIFEST"
#define KZ_LOCK_NAME      "LOCK"
#define KZ_ZHDICT_NAME    "zh.dict"

/* Deletion files: bitset of deleted passages of one segment plus statistics adjustments. */
#define KZ_DEL_MAGIC "KZDELET1"

#endif
