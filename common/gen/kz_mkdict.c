/* kz_mkdict.c - build-time tool: compiles a jieba dict.txt into the dictionary blob that
 * cmake/zhdict.cmake embeds in the library (and that kz_analyzer_options.zh_dict can name).
 *
 * Usage: kz_mkdict DICT.TXT OUT.BIN. It writes OUT.BIN through a temporary file renamed into
 * place, so an interrupted build never leaves a truncated blob that a later build would embed.
 * It opens the blob it produced before renaming it, so a blob the library would reject fails the
 * build instead. Not part of the library: it is built from the few sources it needs. */
#include "error.h"
#include "zh_dict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s DICT.TXT OUT.BIN\n", argv[0]);
        return 2;
    }
    kz_buf blob = KZ_BUF_INIT;
    kz_zhdict *d = NULL;
    int rc = kz_zhdict_compile(&blob, argv[1]);
    if (rc == KZ_OK) rc = kz_zhdict_open(&d, blob.data, blob.len);
    if (rc != KZ_OK) {
        fprintf(stderr, "kz_mkdict: %s\n", kz_errmsg());
        kz_buf_free(&blob);
        return 1;
    }
    size_t plen = strlen(argv[2]) + 5;
    char *tmp = malloc(plen);
    if (tmp == NULL) {
        fprintf(stderr, "kz_mkdict: out of memory\n");
        return 1;
    }
    snprintf(tmp, plen, "%s.tmp", argv[2]);
    FILE *f = fopen(tmp, "wb");
    int ok = f != NULL && fwrite(blob.data, 1, blob.len, f) == blob.len;
    if (f != NULL && fclose(f) != 0) ok = 0;
    if (!ok || rename(tmp, argv[2]) != 0) {
        perror(tmp);
        remove(tmp);
        ok = 0;
    } else {
        printf("kz_mkdict: %s: %u words, %u trie nodes, %zu bytes, hash %016llx\n", argv[1],
               d->nwords, d->nnodes, blob.len, (unsigned long long)kz_zhdict_hash(d));
    }
    kz_zhdict_free(d);
    kz_buf_free(&blob);
    free(tmp);
    return ok ? 0 : 1;
}
