/* common.h - what the kzsearch subcommands share: where the index lives, colour, stdin, and
 * error reporting in grep's conventions. */
#ifndef KZ_CLI_COMMON_H
#define KZ_CLI_COMMON_H

#include <stddef.h>
#include <stdio.h>

/* The index directory: --index DIR if given (opt), else $KZSEARCH_INDEX, else
 * $XDG_DATA_HOME/kzsearch, else ~/.local/share/kzsearch. Returns a malloc'd path or NULL (with
 * a message printed) when none can be determined. */
char *kz_cli_index_dir(const char *opt);

/* Prints "kzsearch: <what>: <library message>" on stderr and returns KZ_EXIT_ERROR. */
int kz_cli_fail(const char *what);

/* Prints "kzsearch: <message>" on stderr and returns KZ_EXIT_ERROR. */
int kz_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads all of a stream into a malloc'd NUL-terminated buffer; NULL on failure. */
char *kz_cli_read_all(FILE *f, size_t *len);

/* Whether to colour output: when is "auto", "always" or "never" (NULL = auto); auto means a
 * terminal and NO_COLOR unset. Returns -1 for an unknown word. */
int kz_cli_color(const char *when, FILE *out);

/* Columns of the terminal out is on, or $COLUMNS, or 80. */
int kz_cli_columns(FILE *out);

#endif
