/* block_search.h - which of several candidate passages a decoded block of postings holds, and
 * where: the innermost step of an intersection, with a portable kernel and SIMD ones chosen
 * at run time.
 *
 * A decoded block is KZ_BLOCK_LEN ids, increasing, a partial block padded with KZ_DOC_END
 * (postings.h). The kernels decide each candidate without a branch on the outcome (whether an
 * id is in a list is data: a branch on it is mispredicted about as often as it goes either
 * way) and give identical results. The portable one searches for each candidate by a binary
 * search whose steps compile to conditional moves, or, when the block's ids up to the last
 * candidate are fewer than three per candidate, merges the two (a merge step costs about a
 * quarter of a search). The AVX2 one compares each candidate with the last id of each group of
 * eight (two vector compares and a population count give its group), then with the eight ids
 * of that group (one more compare): fewer instructions than the search and no chain of
 * dependent loads, and on the benchmark's conjunctions and phrases faster than merging at any
 * ratio (p99 of and2 0.089 -> 0.070 ms, phrase 0.175 -> 0.163, against merging below 3).
 * Where the CPU has AVX-512's VP2INTERSECTD (AMD Zen 5 has it at about one instruction's
 * cost), merging wins after all: one instruction compares sixteen candidates with sixteen ids,
 * each chunk of candidates meets the block's eight groups of sixteen, and a compress keeps the
 * matches (kzbench micro, same run: 2.4-4.0x the AVX2 kernel's candidates/s at 64 a block,
 * 1.5-1.8x at 8; the dev queries in mode and, both kernels alternated query by query in one
 * process, 15 rounds: 5-7% less time for or2, or3, and2, and3 and phrase, p99 of and2 0.044 ->
 * 0.042 ms and of and3 0.028 -> 0.025). */
#ifndef KZ_BLOCK_SEARCH_H
#define KZ_BLOCK_SEARCH_H

#include <stdint.h>

/* Of the m >= 1 candidates ids[0..m) (increasing, each at most block[KZ_BLOCK_LEN - 1], none
 * held by the block before index start), keeps those the block holds, in order, compacting
 * ids[] and lead[] (a value carried with each candidate) alike; returns how many are kept. */
uint32_t kz_block_keep_members(const uint32_t *block, uint32_t start, uint32_t *ids, uint32_t *lead,
                               uint32_t m);

/* The indices in the block of ids[0..count) (count <= KZ_BLOCK_LEN), each of which the block
 * holds, into at[]: an intersection's matches located in a list whose index it did not keep. */
void kz_block_locate(const uint32_t *block, const uint32_t *ids, uint32_t count, uint32_t *at);

/* Name of the kernel in use: "scalar" or "avx2". */
const char *kz_block_search_impl(void);

/* Tests and benchmarks: pin the kernel named ("scalar", "avx2"), or return to the best one
 * (name NULL). KZ_EINVAL when the name is unknown or this CPU cannot run it. */
int kz_block_search_select(const char *name);

#endif
