/* json.h - writing JSON from the command-line tool: strings that are always valid UTF-8 JSON.
 *
 * Invariant: whatever bytes come in, what goes out parses as JSON; invalid UTF-8 becomes U+FFFD,
 * control characters are escaped. */
#ifndef KZ_CLI_JSON_H
#define KZ_CLI_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Writes s[0..len) as a quoted JSON string. */
void kz_json_string(FILE *out, const char *s, size_t len);

/* The byte offset, in the string a JSON reader decodes from kz_json_string(s, len), of byte
 * offset off of s: each invalid byte before it became U+FFFD (3 bytes). So ranges printed beside
 * a string stay true to what the reader sees. */
size_t kz_json_decoded_offset(const char *s, size_t len, size_t off);

/* Writes "key": followed by the quoted string value (a NULL value writes null). */
void kz_json_field_str(FILE *out, const char *key, const char *value);

#endif
