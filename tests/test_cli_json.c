/* test_cli_json.c - `kzsearch --json` stays valid UTF-8 JSON on text that is not, and its
 * highlight ranges select the matched words in the strings a JSON reader decodes. The decoding
 * is Python's json module (Debian's /usr/bin/python3), an independent reader. */
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(cli_json, highlights_select_the_match_after_invalid_bytes_become_replacement_characters)
{
    char *dir = kzt_tempdir();
    char *docs = kzt_path(dir, "docs");
    char *index = kzt_path(dir, "index");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", docs);
    cr_assert_eq(system(cmd), 0);
    char *file = kzt_path(docs, "bad.txt");
    /* A few invalid bytes in a text file (too few to make it look binary). */
    const char text[] = "alpha \x80 bravo\xff\xfe delta \xc3 charlie delta, and then a long tail "
                        "of ordinary words so that the file is text with some damage in it\n";
    kzt_write_file(file, text, sizeof text - 1);
    int status;
    snprintf(cmd, sizeof cmd, "'%s' index --index '%s' '%s' 2>/dev/null", kzt_bin("kzsearch"),
             index, docs);
    free(kzt_run(cmd, &status));
    cr_assert_eq(status, 0);
    snprintf(
        cmd, sizeof cmd,
        "'%s' --index '%s' --json delta | /usr/bin/python3 -c '"
        "import json, sys\n"
        "for line in sys.stdin:\n"
        "    h = json.loads(line)\n"
        "    for key, ranges in ((\"snippet\", \"highlights\"), (\"text\", \"text_highlights\")):\n"
        "        b = h[key].encode()\n"
        "        print(key, [b[s:e].decode() for s, e in h[ranges]])\n'",
        kzt_bin("kzsearch"), index);
    char *out = kzt_run(cmd, &status);
    cr_assert_eq(status, 0, "output: %s", out);
    cr_assert_str_eq(out, "snippet ['delta', 'delta']\ntext ['delta', 'delta']\n");
    free(out);
    free(file);
    free(docs);
    free(index);
    kzt_rmtree(dir);
}

Test(cli_json, indexing_nothing_indexable_still_creates_an_index_that_finds_nothing)
{
    char *dir = kzt_tempdir();
    char *docs = kzt_path(dir, "docs");
    char *index = kzt_path(dir, "index");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && printf 'bin\\000ary' > '%s/blob.dat'", docs, docs);
    cr_assert_eq(system(cmd), 0);
    int status;
    snprintf(cmd, sizeof cmd, "'%s' index --index '%s' '%s' 2>&1", kzt_bin("kzsearch"), index,
             docs);
    char *out = kzt_run(cmd, &status);
    cr_assert_eq(status, 0, "%s", out);
    cr_assert(strstr(out, "binary file skipped") != NULL, "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' --index '%s' anything 2>&1", kzt_bin("kzsearch"), index);
    out = kzt_run(cmd, &status);
    cr_assert_eq(status, 1, "an empty index finds nothing (exit 1), not an error: %s", out);
    free(out);
    free(docs);
    free(index);
    kzt_rmtree(dir);
}
