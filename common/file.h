/* file.h - reading a whole small file into memory, the one way the library does it (manifests,
 * deletion files, a dictionary given by path). */
#ifndef KZ_FILE_H
#define KZ_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Reads path into a malloc'd buffer (*data, freed by the caller) of *len bytes. A file larger
 * than max bytes is refused with KZ_ECORRUPT ("what" names it in the message). Returns KZ_OK,
 * KZ_ENOTFOUND (no such file), KZ_EIO, KZ_ECORRUPT or KZ_ENOMEM, with a message naming path. */
int kz_file_read_all(const char *path, size_t max, const char *what, uint8_t **data, size_t *len);

#endif
