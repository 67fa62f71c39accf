/* test_zeroed.c - kz_zeroed_alloc (indexer/zeroed.h) gives zeroed, writable memory at every size,
 * whether or not the kernel populated its pages ahead, and refuses a size that overflows. */
#include "zeroed.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

/* Every byte reads zero, and every byte can be written and read back. */
static void check_zeroed(size_t n, size_t size)
{
    uint8_t *p = kz_zeroed_alloc(n, size);
    cr_assert_not_null(p, "%zu x %zu bytes", n, size);
    const size_t bytes = n * size;
    for (size_t i = 0; i < bytes; i++)
        if (p[i] != 0) cr_assert_fail("byte %zu of %zu is %u", i, bytes, p[i]);
    for (size_t i = 0; i < bytes; i++) p[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < bytes; i++)
        if (p[i] != (uint8_t)(i * 7 + 1)) cr_assert_fail("byte %zu did not keep its value", i);
    free(p);
}

Test(zeroed, small_arrays_are_zeroed_and_writable)
{
    check_zeroed(1, 1);
    check_zeroed(1000, 8);
}

/* Past the populating threshold, at sizes that are and are not whole pages (the first and
 * last pages are shared with the heap and left out of the populating). */
Test(zeroed, large_arrays_are_zeroed_and_writable)
{
    check_zeroed((size_t)1 << 20, 4);
    check_zeroed(((size_t)3 << 20) + 17, 1);
    check_zeroed(123457, 16);
}

/* Freed and taken again: the heap may hand back pages it had, which must still read zero. */
Test(zeroed, reused_memory_is_zeroed_again)
{
    for (int round = 0; round < 3; round++) check_zeroed((size_t)2 << 20, 1);
}

Test(zeroed, an_overflowing_size_is_refused)
{
    cr_assert_null(kz_zeroed_alloc(SIZE_MAX / 2, 3));
}
