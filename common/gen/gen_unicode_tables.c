/* gen_unicode_tables.c - builds common/unicode_tables.c from the Unicode Character Database
 * files (Debian's unicode-data, Unicode 15.0); not part of the library.
 *
 * Usage: gen_unicode_tables WordBreakProperty.txt emoji-data.txt Scripts.txt
 *                           DerivedCoreProperties.txt OUTPUT.c
 *
 * Design (see unicode_props.h for the lookup side): the four properties of a code point are packed
 * into one 16-bit word, so the word breaker pays for one lookup per character, not four. Only 75
 * distinct words occur in Unicode 15.0, so stage 2 stores a one-byte class number per code point
 * and kz_ucd_classes maps it back to the word. Stage 2 is cut into blocks of
 * 1 << KZ_UCD_BLOCK_SHIFT code points; identical blocks (the unassigned planes, the CJK and Hangul
 * ranges) are stored once, and stage1 maps each block of the code space to its copy. We chose a
 * two-stage table over sorted ranges because a lookup is three loads and no search, whatever the
 * script, which keeps Chinese and Cyrillic text nearly as fast as English. Table sizes by block:
 * 32: 88 KB, 64: 61 KB, 128: 51 KB, 256: 50 KB, 512: 57 KB; 128 and 256 tie within 1%, we took
 * 128. Alphabetic (DerivedCoreProperties.txt) is included so the word breaker can tell a segment
 * holding letters of a script whose letters are Word_Break=Other (Han, Hiragana, Thai) from a
 * segment of punctuation. Latin-1 also gets a direct table of packed words, the fast path for
 * English text.
 *
 * The output depends only on the input files: classes are numbered in order of first appearance
 * by code point and blocks are deduplicated in code point order, so running the generator again
 * gives an identical file. Malformed input lines stop the generator with the file and line. */
#include "../unicode_props.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCP        (KZ_UCD_MAX_CP + 1)
#define BLOCK      (1u << KZ_UCD_BLOCK_SHIFT)
#define NBLOCKS    (NCP >> KZ_UCD_BLOCK_SHIFT)
#define MAX_CLASS  256
#define LINE_BYTES 4096

static uint16_t props[NCP]; /* packed property word per code point */

static const char *const wb_names[KZ_WB_COUNT] = {"Other",
                                                  "CR",
                                                  "LF",
                                                  "Newline",
                                                  "Extend",
                                                  "ZWJ",
                                                  "Regional_Indicator",
                                                  "Format",
                                                  "Katakana",
                                                  "Hebrew_Letter",
                                                  "ALetter",
                                                  "Single_Quote",
                                                  "Double_Quote",
                                                  "MidNumLet",
                                                  "MidLetter",
                                                  "MidNum",
                                                  "Numeric",
                                                  "ExtendNumLet",
                                                  "WSegSpace"};

static const char *const script_names[KZ_UCD_SC_COUNT] = {
    "",         "Common",   "Inherited", "Latin",  "Cyrillic", "Greek", "Han",
    "Hiragana", "Katakana", "Hangul",    "Arabic", "Hebrew",   "Thai"};

/* Reports a failure on stderr and stops: a generator has nothing to clean up. */
static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gen_unicode_tables: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* Trims spaces and tabs on both sides, in place. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

typedef void (*apply_fn)(uint32_t lo, uint32_t hi, const char *value, const char *path,
                         unsigned long line);

/* Reads a UCD file of "XXXX[..YYYY] ; Value [# comment]" lines and calls fn for each. The first
 * line (the file's name and version) is copied to header, for the output's provenance note. */
static void read_ucd(const char *path, apply_fn fn, char *header, size_t header_cap)
{
    FILE *f = fopen(path, "r");
    if (!f) die("cannot open %s (install Debian's unicode-data package)", path);
    char line[LINE_BYTES];
    unsigned long lineno = 0;
    header[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (lineno == 1) snprintf(header, header_cap, "%s", trim(line + (line[0] == '#')));
        if (lineno == 2 && strncmp(line, "# Date: ", 8) == 0) {
            size_t n = strlen(header);
            snprintf(header + n, header_cap - n, " (%.10s)", line + 8);
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *s = trim(line);
        if (*s == '\0') continue;
        char *semi = strchr(s, ';');
        if (!semi) die("%s:%lu: expected 'codepoints ; value'", path, lineno);
        *semi = '\0';
        char *value = trim(semi + 1);
        char *rest = strchr(value, ';'); /* emoji-data has no further fields; be strict anyway */
        if (rest) die("%s:%lu: unexpected extra field", path, lineno);
        char *end;
        unsigned long lo = strtoul(s, &end, 16), hi = lo;
        if (end == s) die("%s:%lu: bad code point", path, lineno);
        if (end[0] == '.' && end[1] == '.') {
            char *p = end + 2;
            hi = strtoul(p, &end, 16);
            if (end == p) die("%s:%lu: bad range end", path, lineno);
        }
        if (*trim(end) != '\0' || lo > hi || hi > KZ_UCD_MAX_CP)
            die("%s:%lu: bad code point range", path, lineno);
        fn((uint32_t)lo, (uint32_t)hi, value, path, lineno);
    }
    if (ferror(f)) die("cannot read %s", path);
    fclose(f);
}

static void apply_wb(uint32_t lo, uint32_t hi, const char *value, const char *path,
                     unsigned long line)
{
    for (unsigned v = 1; v < KZ_WB_COUNT; v++) {
        if (strcmp(value, wb_names[v]) != 0) continue;
        for (uint32_t cp = lo; cp <= hi; cp++)
            props[cp] = (uint16_t)((props[cp] & ~KZ_UCD_WB_MASK) | v);
        return;
    }
    die("%s:%lu: unknown Word_Break value", path, line);
}

static void apply_emoji(uint32_t lo, uint32_t hi, const char *value, const char *path,
                        unsigned long line)
{
    (void)path;
    (void)line;
    if (strcmp(value, "Extended_Pictographic") != 0) return;
    for (uint32_t cp = lo; cp <= hi; cp++) props[cp] |= KZ_UCD_EXTPICT;
}

static void apply_script(uint32_t lo, uint32_t hi, const char *value, const char *path,
                         unsigned long line)
{
    (void)path;
    (void)line;
    unsigned sc = KZ_UCD_SC_OTHER;
    for (unsigned v = 1; v < KZ_UCD_SC_COUNT; v++)
        if (strcmp(value, script_names[v]) == 0) sc = v;
    for (uint32_t cp = lo; cp <= hi; cp++)
        props[cp] = (uint16_t)((props[cp] & ~(KZ_UCD_SCRIPT_MASK << KZ_UCD_SCRIPT_SHIFT)) |
                               (sc << KZ_UCD_SCRIPT_SHIFT));
}

static void apply_alpha(uint32_t lo, uint32_t hi, const char *value, const char *path,
                        unsigned long line)
{
    (void)path;
    (void)line;
    if (strcmp(value, "Alphabetic") != 0) return;
    for (uint32_t cp = lo; cp <= hi; cp++) props[cp] |= KZ_UCD_ALPHA;
}

static uint16_t classes[MAX_CLASS];
static unsigned nclasses;
static uint8_t cls[NCP];                /* class number per code point */
static uint16_t stage1[NBLOCKS];        /* block number per block of the code space */
static uint8_t stage2[NBLOCKS * BLOCK]; /* distinct blocks, in order of first appearance */
static unsigned nblocks2;

static void build(void)
{
    for (uint32_t cp = 0; cp < NCP; cp++) {
        unsigned c = 0;
        while (c < nclasses && classes[c] != props[cp]) c++;
        if (c == nclasses) {
            if (nclasses == MAX_CLASS) die("more than %d property classes", MAX_CLASS);
            classes[nclasses++] = props[cp];
        }
        cls[cp] = (uint8_t)c;
    }
    for (uint32_t b = 0; b < NBLOCKS; b++) {
        const uint8_t *blk = cls + (size_t)b * BLOCK;
        unsigned k = 0;
        while (k < nblocks2 && memcmp(stage2 + (size_t)k * BLOCK, blk, BLOCK) != 0) k++;
        if (k == nblocks2) memcpy(stage2 + (size_t)nblocks2++ * BLOCK, blk, BLOCK);
        stage1[b] = (uint16_t)k;
    }
}

static void emit_u16(FILE *f, const char *decl, const uint16_t *v, size_t n)
{
    fprintf(f, "%s = {", decl);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s0x%04x,", i % 12 ? " " : "\n    ", v[i]);
    fprintf(f, "\n};\n\n");
}

static void emit_u8(FILE *f, const char *decl, const uint8_t *v, size_t n)
{
    fprintf(f, "%s = {", decl);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%u,", i % 20 ? " " : "\n    ", v[i]);
    fprintf(f, "\n};\n\n");
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr,
                "usage: %s WordBreakProperty.txt emoji-data.txt Scripts.txt "
                "DerivedCoreProperties.txt OUTPUT.c\n",
                argv[0]);
        return 2;
    }
    char hdr[4][256];
    read_ucd(argv[1], apply_wb, hdr[0], sizeof hdr[0]);
    read_ucd(argv[2], apply_emoji, hdr[1], sizeof hdr[1]);
    read_ucd(argv[3], apply_script, hdr[2], sizeof hdr[2]);
    read_ucd(argv[4], apply_alpha, hdr[3], sizeof hdr[3]);
    build();

    FILE *f = fopen(argv[5], "w");
    if (!f) die("cannot create %s", argv[5]);
    fprintf(f, "/* unicode_tables.c - Unicode property tables for unicode_props.h; GENERATED by\n"
               " * common/gen/gen_unicode_tables.c (target gen-unicode-tables), do not edit.\n"
               " *\n"
               " * Sources (Unicode Character Database, as shipped by Debian's unicode-data):\n");
    for (int i = 0; i < 4; i++) fprintf(f, " *   %s\n", hdr[i]);
    fprintf(f, " * %u property classes, %u distinct blocks of %u code points: %zu bytes. */\n",
            nclasses, nblocks2, BLOCK,
            sizeof stage1 + (size_t)nblocks2 * BLOCK + nclasses * sizeof *classes + 512);
    fprintf(f, "#include \"unicode_props.h\"\n\n");
    emit_u16(f, "const uint16_t kz_ucd_latin1[256]", props, 256);
    uint8_t alnum[256] = {0};
    for (unsigned b = 0; b < 0x80; b++) {
        unsigned w = props[b] & KZ_UCD_WB_MASK;
        alnum[b] = w == KZ_WB_ALETTER ? 1 : w == KZ_WB_NUMERIC ? 2 : 0;
    }
    emit_u8(f, "const uint8_t kz_ucd_ascii_alnum[256]", alnum, 256);
    emit_u16(f, "const uint16_t kz_ucd_classes[]", classes, nclasses);
    emit_u16(f, "const uint16_t kz_ucd_stage1[(KZ_UCD_MAX_CP >> KZ_UCD_BLOCK_SHIFT) + 1]", stage1,
             NBLOCKS);
    emit_u8(f, "const uint8_t kz_ucd_stage2[]", stage2, (size_t)nblocks2 * BLOCK);
    if (fclose(f) != 0) die("cannot write %s", argv[5]);
    return 0;
}
