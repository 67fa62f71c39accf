/* util.c - kzbench's shared helpers: monotonic clock, peak memory, sizes on disk, the machine
 * description every report carries, JSON strings, the result checksum and a seeded generator.
 *
 * The machine description is built once and never changes during a run; the revision and build
 * type come from bench_rev.h, which the build regenerates whenever HEAD or the tree's state
 * changes, so a report cannot name a stale revision. */
#include "bench.h"

#include "bench_rev.h"
#include "bitpack.h"
#include "kzsearch.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

double kzb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double kzb_thread_cpu(void)
{
    return cpu_clock(CLOCK_THREAD_CPUTIME_ID);
}

double kzb_process_cpu(void)
{
    return cpu_clock(CLOCK_PROCESS_CPUTIME_ID);
}

long kzb_peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return ru.ru_maxrss;
}

uint64_t kzb_path_bytes(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return 0;
    if (!S_ISDIR(st.st_mode)) return (uint64_t)st.st_size;
    DIR *d = opendir(path);
    if (d == NULL) return 0;
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *sub = malloc(n);
        if (sub == NULL) break;
        snprintf(sub, n, "%s/%s", path, e->d_name);
        total += kzb_path_bytes(sub);
        free(sub);
    }
    closedir(d);
    return total;
}

void kzb_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kzbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void kzb_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* ---- the machine ---- */

static char env_json[2048], env_line[1024];

static void read_cpu_model(char *out, size_t cap)
{
    snprintf(out, cap, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        char *colon = strchr(line, ':');
        if (colon == NULL) continue;
        colon++;
        while (*colon == ' ' || *colon == '\t') colon++;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(out, cap, "%s", colon);
        break;
    }
    fclose(f);
}

static long long mem_total_kb(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (f == NULL) return 0;
    long long kb = 0;
    char line[256];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %lld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

static void env_fill(void)
{
    if (env_json[0]) return;
    char cpu[256], host[128] = "";
    read_cpu_model(cpu, sizeof cpu);
    for (char *p = cpu; *p; p++)
        if (*p == '"' || *p == '\\') *p = ' ';
    struct utsname u;
    if (uname(&u) != 0) memset(&u, 0, sizeof u);
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    long long mem = mem_total_kb();
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char date[32];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(env_json, sizeof env_json,
             "{\"date\":\"%s\",\"cpu\":\"%s\",\"cores\":%ld,\"mem_kb\":%lld,\"kernel\":\"%s %s\","
             "\"host\":\"%s\",\"compiler\":\"gcc %s\",\"build_type\":\"%s\",\"revision\":\"%s\","
             "\"codec\":\"%s\",\"kzsearch\":\"%s\"}",
             date, cpu, cores, mem, u.sysname, u.release, host, __VERSION__, KZB_BUILD_TYPE,
             KZB_GIT_REV, kz_codec_impl(), kz_version());
    snprintf(env_line, sizeof env_line,
             "%s; %s, %ld cores, %.1f GiB; %s %s; gcc %s; %s build; revision %s; codec %s", date,
             cpu, cores, (double)mem / 1048576.0, u.sysname, u.release, __VERSION__, KZB_BUILD_TYPE,
             KZB_GIT_REV, kz_codec_impl());
}

const char *kzb_env_json(void)
{
    env_fill();
    return env_json;
}

const char *kzb_env_line(void)
{
    env_fill();
    return env_line;
}

/* ---- checksum ---- */

uint64_t kzb_fold(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ull;
    }
    return h;
}

uint64_t kzb_fold_u64(uint64_t h, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    return kzb_fold(h, b, 8);
}

uint64_t kzb_fold_double(uint64_t h, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return kzb_fold_u64(h, bits);
}

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void kzb_sort_doubles(double *v, size_t n)
{
    if (n > 1) qsort(v, n, sizeof *v, cmp_double);
}

double kzb_pct(const double *v, size_t n, double p)
{
    if (n == 0) return 0;
    size_t k = (size_t)ceil(p / 100.0 * (double)n - 1e-6);
    if (k < 1) k = 1;
    if (k > n) k = n;
    return v[k - 1];
}

/* ---- generator ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void kzb_rng_seed(kzb_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t kzb_rng_next(kzb_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

__extension__ typedef unsigned __int128 u128;

uint64_t kzb_rng_below(kzb_rng *r, uint64_t n)
{
    /* Lemire's multiply-shift; the bias (< n / 2^64) is far below anything a benchmark sees. */
    return (uint64_t)(((u128)kzb_rng_next(r) * n) >> 64);
}

double kzb_rng_unit(kzb_rng *r)
{
    return (double)(kzb_rng_next(r) >> 11) * 0x1.0p-53;
}
