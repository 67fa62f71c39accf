/* test_base.c - the foundations: error messages, byte buffers and variable-length integers. */
#include "buf.h"
#include "error.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

Test(base, version_string_matches_the_header_macros)
{
    cr_assert_str_eq(kz_version(), KZ_VERSION_STRING);
}

Test(base, failure_records_a_message_and_returns_its_status)
{
    int rc = kz_fail(KZ_ENOTFOUND, "no index at %s", "/x");
    cr_assert_eq(rc, KZ_ENOTFOUND);
    cr_assert_str_eq(kz_errmsg(), "no index at /x");
    errno = ENOENT;
    kz_fail_errno(KZ_EIO, "cannot open %s", "a.txt");
    cr_assert_str_eq(kz_errmsg(), "cannot open a.txt: No such file or directory");
    kz_fail_context(KZ_EIO, "segment %d", 3);
    cr_assert_str_eq(kz_errmsg(), "segment 3: cannot open a.txt: No such file or directory");
    kz_error_clear();
    cr_assert_str_eq(kz_errmsg(), "");
}

Test(base, overlong_message_is_truncated_not_overflowed)
{
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    kz_fail(KZ_ERROR, "%s", big);
    cr_assert_lt(strlen(kz_errmsg()), 1024);
}

Test(base, every_status_has_a_name)
{
    for (int s = KZ_ITEROVER; s <= KZ_OK; s++)
        cr_assert_str_neq(kz_status_name(s), "unknown status");
    cr_assert_str_eq(kz_status_name(-999), "unknown status");
}

Test(base, buffer_grows_and_stores_little_endian)
{
    kz_buf b = KZ_BUF_INIT;
    for (uint32_t i = 0; i < 10000; i++) cr_assert_eq(kz_buf_append_u32le(&b, i), KZ_OK);
    cr_assert_eq(b.len, 40000);
    for (uint32_t i = 0; i < 10000; i++) cr_assert_eq(kz_load_u32le(b.data + 4 * i), i);
    cr_assert_eq(b.data[4], 1);
    kz_buf_free(&b);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
}

Test(base, varint_round_trips_boundary_values)
{
    const uint64_t values[] = {
        0,         1, 127, 128, 16383, 16384, UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX - 1,
        UINT64_MAX};
    kz_buf b = KZ_BUF_INIT;
    for (size_t i = 0; i < sizeof values / sizeof *values; i++)
        cr_assert_eq(kz_buf_append_varint(&b, values[i]), KZ_OK);
    const uint8_t *p = b.data, *end = b.data + b.len;
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        uint64_t v;
        cr_assert_eq(kz_read_varint(&p, end, &v), KZ_OK);
        cr_assert_eq(v, values[i]);
    }
    cr_assert_eq(p, end);
    kz_buf_free(&b);
}

Test(base, varint_reader_rejects_truncated_and_overflowing_input)
{
    const uint8_t truncated[] = {0x80, 0x80};
    const uint8_t *p = truncated;
    uint64_t v;
    cr_assert_eq(kz_read_varint(&p, truncated + 2, &v), KZ_ECORRUPT);
    uint8_t overflow[11];
    memset(overflow, 0xff, sizeof overflow);
    p = overflow;
    cr_assert_eq(kz_read_varint(&p, overflow + sizeof overflow, &v), KZ_ECORRUPT);
}
