/* build.c - `kzbench build`: index a JSON Lines collection through the public writer API and
 * report the rate (passages/s, MB/s), the peak memory and the index size by component.
 *
 * What is timed is what a user waits for: kz_writer_open, kz_writer_add_path on the corpus
 * file (the writer parses the JSON Lines itself) and kz_writer_commit (with its merges); the
 * optional kz_writer_optimize is timed apart, as the peers time Xapian's compaction apart. The
 * raw size the MB/s figure divides by is title + text bytes of every record, the peers'
 * definition, counted in an untimed pass afterwards. Sizes by component come from the section
 * tables of the segment files; bytes per posting divide the postings section, less the word
 * pairs' lists, by the summed document frequencies of the words, read back from the term
 * dictionaries; the word pairs (common/pairs.h) are reported apart. */
#include "bench.h"

#include "index_internal.h"
#include "pairs.h"
#include "source.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* By section kind (common/segment_format.h); [0] is everything outside sections. */
_Static_assert(sizeof((kzb_build_summary *)0)->component == KZ_SEC_COUNT * sizeof(uint64_t),
               "one component per section kind");
static const char *const COMPONENT[KZ_SEC_COUNT] = {"other",     "meta",    "terms", "postings",
                                                    "positions", "lengths", "docs",  "store",
                                                    "docstarts", "sources", "fields"};

static void progress(void *ctx, const kz_add_report *r, const char *warning)
{
    (void)ctx;
    if (warning) fprintf(stderr, "kzbench build: warning: %s\n", warning);
    (void)r;
}

/* Title + text bytes and records of the collection, parsed as the writer parses it. */
static void count_raw(const char *corpus, uint64_t *raw, uint64_t *records)
{
    FILE *f = fopen(corpus, "r");
    if (f == NULL) kzb_die("cannot open %s", corpus);
    kz_document doc = KZ_DOCUMENT_INIT;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t lineno = 0;
    *raw = *records = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (kz_document_from_jsonl(&doc, corpus, lineno, line, (size_t)len) != KZ_OK) continue;
        *raw += doc.text_len + (doc.title ? strlen(doc.title) : 0);
        (*records)++;
    }
    free(line);
    kz_document_clear(&doc);
    fclose(f);
}

static void measure_index(const char *dir, kzb_build_summary *s)
{
    kz_index *ix = NULL;
    if (kz_index_open(&ix, dir) != KZ_OK) kzb_die("cannot open the new index: %s", kz_errmsg());
    uint64_t in_segments = 0;
    for (uint32_t i = 0; i < ix->nsegs; i++) {
        const kz_segment *seg = ix->segs[i].seg;
        in_segments += seg->map_len;
        uint64_t sections = 0;
        for (int k = 1; k < KZ_SEC_COUNT; k++) {
            s->component[k] += seg->sections[k].length;
            sections += seg->sections[k].length;
        }
        s->component[KZ_SEC_META] += seg->map_len - sections; /* header, table, footer, padding */
        kz_termdict_iter it;
        const char *term;
        size_t tl;
        kz_term_info info;
        if (kz_termdict_iter_init(&it, &seg->terms, NULL, 0) != KZ_OK)
            kzb_die("%s: %s", seg->path, kz_errmsg());
        int rc;
        while ((rc = kz_termdict_iter_next(&it, &term, &tl, &info)) == KZ_OK) {
            if ((unsigned char)term[0] != KZ_PAIR_MARK) {
                s->postings += info.df;
                s->tokens += info.cf;
                continue;
            }
            s->pairs++;
            s->pair_postings += info.df;
            s->pair_occurrences += info.cf;
            s->pair_doc_bytes += info.doc_len;
            s->pair_pos_bytes += info.pos_len;
        }
        if (rc != KZ_ITEROVER) kzb_die("%s: %s", seg->path, kz_errmsg());
    }
    s->segments = ix->nsegs;
    kz_index_close(ix);
    s->index_bytes = kzb_path_bytes(dir);
    s->component[0] = s->index_bytes > in_segments ? s->index_bytes - in_segments : 0;
}

int kzb_build_run(const char *corpus, const char *index, int optimize, size_t memory_mb,
                  uint32_t pair_min_df, kzb_build_summary *s)
{
    memset(s, 0, sizeof *s);
    DIR *d = opendir(index);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                kzb_die("%s is not empty: kzbench build wants a new index (remove it first)",
                        index);
        closedir(d);
    }
    kz_writer_options wo = KZ_WRITER_OPTIONS_INIT;
    wo.memory_budget = memory_mb << 20;
    wo.pair_min_df = pair_min_df;
    kz_writer *w = NULL;
    kz_add_report rep = {0};
    double t0 = kzb_now(), c0 = kzb_process_cpu();
    if (kz_writer_open(&w, index, &wo) != KZ_OK) kzb_die("%s: %s", index, kz_errmsg());
    if (kz_writer_add_path(w, corpus, progress, &rep) != KZ_OK)
        kzb_die("indexing %s: %s", corpus, kz_errmsg());
    if (kz_writer_commit(w) != KZ_OK) kzb_die("commit: %s", kz_errmsg());
    s->wall_s = kzb_now() - t0;
    if (optimize) {
        double t1 = kzb_now();
        if (kz_writer_optimize(w) != KZ_OK) kzb_die("optimize: %s", kz_errmsg());
        s->optimize_s = kzb_now() - t1;
    }
    kz_writer_close(w);
    s->cpu_s = kzb_process_cpu() - c0;
    s->peak_rss_kb = kzb_peak_rss_kb();
    uint64_t records;
    count_raw(corpus, &s->raw_bytes, &records);
    kz_index_stats st;
    kz_index *ix = NULL;
    if (kz_index_open(&ix, index) != KZ_OK || kz_index_stats_get(&st, ix) != KZ_OK)
        kzb_die("%s: %s", index, kz_errmsg());
    s->passages = st.passages;
    kz_index_close(ix);
    measure_index(index, s);
    return 0;
}

double kzb_build_bytes_per_posting(const kzb_build_summary *s)
{
    return (double)(s->component[KZ_SEC_POSTINGS] - s->pair_doc_bytes) /
           (double)(s->postings ? s->postings : 1);
}

void kzb_build_print(const kzb_build_summary *s, FILE *out)
{
    double mb = (double)s->raw_bytes / 1e6;
    double t = s->wall_s + s->optimize_s;
    fprintf(out, "passages            %llu in %u segment(s)\n", (unsigned long long)s->passages,
            s->segments);
    fprintf(out, "raw text bytes      %llu (title + text, UTF-8)\n",
            (unsigned long long)s->raw_bytes);
    fprintf(out, "index wall          %.2f s (open + add + commit)\n", s->wall_s);
    if (s->optimize_s > 0) fprintf(out, "optimize wall       %.2f s\n", s->optimize_s);
    fprintf(out, "CPU time            %.2f s (user + system; wall includes waiting for a core)\n",
            s->cpu_s);
    fprintf(out, "passages/s          %.0f\n", (double)s->passages / t);
    fprintf(out, "MB/s                %.2f\n", mb / t);
    fprintf(out, "peak RSS            %ld KiB\n", s->peak_rss_kb);
    fprintf(out, "index bytes         %llu (ratio %.3f to raw text)\n",
            (unsigned long long)s->index_bytes, (double)s->index_bytes / (double)s->raw_bytes);
    for (int k = 0; k < KZ_SEC_COUNT; k++) {
        if (k == KZ_SEC_META) continue;
        uint64_t b = s->component[k] + (k == 0 ? s->component[KZ_SEC_META] : 0);
        fprintf(out, "  %-17s %12llu  %5.1f%%\n", COMPONENT[k], (unsigned long long)b,
                100.0 * (double)b / (double)(s->index_bytes ? s->index_bytes : 1));
    }
    fprintf(out, "postings            %llu of words (%.3f bytes each in the postings section)\n",
            (unsigned long long)s->postings, kzb_build_bytes_per_posting(s));
    fprintf(out, "positions           %llu of words (%.3f bytes each in the positions section)\n",
            (unsigned long long)s->tokens,
            (double)(s->component[KZ_SEC_POSITIONS] - s->pair_pos_bytes) /
                (double)(s->tokens ? s->tokens : 1));
    fprintf(out,
            "word pairs          %llu terms, %llu postings, %llu occurrences: %llu bytes of "
            "postings, %llu of positions (in the sections above)\n",
            (unsigned long long)s->pairs, (unsigned long long)s->pair_postings,
            (unsigned long long)s->pair_occurrences, (unsigned long long)s->pair_doc_bytes,
            (unsigned long long)s->pair_pos_bytes);
}

void kzb_build_json(const kzb_build_summary *s, FILE *j)
{
    double t = s->wall_s + s->optimize_s;
    fprintf(j,
            "{\"engine\":\"kzsearch\",\"passages\":%llu,\"segments\":%u,\"raw_bytes\":%llu,"
            "\"index_s\":%.3f,\"optimize_s\":%.3f,\"cpu_s\":%.3f,\"passages_per_s\":%.1f,\"mb_per_"
            "s\":%.3f,"
            "\"peak_rss_kb\":%ld,\"index_bytes\":%llu,\"final_bytes\":%llu,\"postings\":%llu,"
            "\"tokens\":%llu,\"bytes_per_posting\":%.4f,\"pairs\":%llu,\"pair_postings\":%llu,"
            "\"pair_occurrences\":%llu,\"pair_doc_bytes\":%llu,\"pair_pos_bytes\":%llu,"
            "\"components\":{",
            (unsigned long long)s->passages, s->segments, (unsigned long long)s->raw_bytes,
            s->wall_s, s->optimize_s, s->cpu_s, (double)s->passages / t,
            (double)s->raw_bytes / 1e6 / t, s->peak_rss_kb, (unsigned long long)s->index_bytes,
            (unsigned long long)s->index_bytes, (unsigned long long)s->postings,
            (unsigned long long)s->tokens, kzb_build_bytes_per_posting(s),
            (unsigned long long)s->pairs, (unsigned long long)s->pair_postings,
            (unsigned long long)s->pair_occurrences, (unsigned long long)s->pair_doc_bytes,
            (unsigned long long)s->pair_pos_bytes);
    for (int k = 0; k < KZ_SEC_COUNT; k++)
        fprintf(j, "%s\"%s\":%llu", k ? "," : "", COMPONENT[k],
                (unsigned long long)s->component[k]);
    fprintf(j, "},\"env\":%s}", kzb_env_json());
}
