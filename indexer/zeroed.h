/* zeroed.h - zeroed arrays written at random places soon after they are made.
 *
 * calloc hands back fresh pages that the kernel maps to its shared zero page on a first read;
 * the first write to such a page then takes a second fault, which copies the page and flushes
 * its old mapping from the TLB of every core running one of our threads (an inter-processor
 * interrupt). Tables probed before they are written (hash tables, the pair writer's slots) pay
 * that on most of their pages: 3% of the indexing CPU on the benchmark collection, in the
 * faults and the interrupts. kz_zeroed_alloc asks the kernel to map every page writable at once
 * instead (Linux's MADV_POPULATE_WRITE, since 5.14), so that no page goes through the zero page.
 *
 * Invariant: the memory is zeroed and owned by the caller, who releases it with free(). */
#ifndef KZ_ZEROED_H
#define KZ_ZEROED_H

#include <stddef.h>

/* n zeroed elements of size bytes, or NULL (out of memory or n * size overflows). Where the
 * kernel cannot populate pages ahead, the memory is still zeroed and valid. */
void *kz_zeroed_alloc(size_t n, size_t size);

#endif
