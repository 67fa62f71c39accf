/* support.h - helpers shared by the Criterion tests: temporary directories, files, paths of the
 * reference data, and running a command to capture its output.
 *
 * Everything here aborts the test (cr_assert) on failure, so tests stay short. */
#ifndef KZ_TEST_SUPPORT_H
#define KZ_TEST_SUPPORT_H

#include <stddef.h>

/* Creates a fresh empty directory under $TMPDIR (or /tmp) and returns its path (malloc'd). */
char *kzt_tempdir(void);

/* Removes a directory tree (best effort) and frees path. */
void kzt_rmtree(char *path);

/* Reads a whole file; *len receives its size. The result is NUL-terminated and malloc'd. */
char *kzt_read_file(const char *path, size_t *len);

/* Writes len bytes to path, creating or replacing it. */
void kzt_write_file(const char *path, const void *data, size_t len);

/* Joins two path parts with '/' into a malloc'd string. */
char *kzt_path(const char *dir, const char *name);

/* Directory of the user's seed documents (shared/corpus/seeds). */
const char *kzt_seeds_dir(void);

/* Runs a shell command and returns its standard output (malloc'd, NUL-terminated); *status
 * receives the exit status (or -1 if it did not exit normally). status may be NULL. */
char *kzt_run(const char *command, int *status);

/* Path of a program built in the build tree, e.g. kzt_bin("kzsearch"). Static storage. */
const char *kzt_bin(const char *name);

#endif
