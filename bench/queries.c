/* queries.c - reading a query file: `category<TAB>query` lines, as ../shared/bench's
 * queries-dev.tsv (blank lines, lines starting with # and lines without a tab are skipped). */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

void kzb_load_queries(const char *path, kzb_qline **out, size_t *n, char cats[KZB_MAX_CATS][32],
                      int *ncats)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) kzb_die("cannot open %s", path);
    size_t cap = 1024;
    kzb_qline *q = malloc(cap * sizeof *q);
    if (q == NULL) kzb_die("out of memory");
    *n = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        char *tab = strchr(line, '\t');
        if (len == 0 || line[0] == '#' || tab == NULL) continue;
        *tab = '\0';
        if (*n == cap) {
            cap *= 2;
            q = realloc(q, cap * sizeof *q);
            if (q == NULL) kzb_die("out of memory");
        }
        int c = 0;
        while (c < *ncats && strcmp(cats[c], line)) c++;
        if (c == *ncats) {
            if (*ncats == KZB_MAX_CATS) kzb_die("%s: more than %d categories", path, KZB_MAX_CATS);
            snprintf(cats[c], 32, "%s", line);
            (*ncats)++;
        }
        q[*n].cat = cats[c];
        q[*n].cat_index = c;
        q[*n].text = strdup(tab + 1);
        if (q[*n].text == NULL) kzb_die("out of memory");
        (*n)++;
    }
    free(line);
    fclose(f);
    if (*n == 0) kzb_die("%s: no queries (lines are category<TAB>query)", path);
    *out = q;
}
