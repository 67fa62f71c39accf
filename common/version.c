/* version.c - the library's version string. */
#include "kzsearch.h"

const char *kz_version(void)
{
    return KZ_VERSION_STRING;
}
