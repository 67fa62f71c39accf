/* cursor.c - helpers shared by cursor implementations that have no block data of their own.
 *
 * Invariant kept: a cursor without blocks claims its list bound up to KZ_DOC_END, and nothing
 * once exhausted, which is always a valid block bound. */
#include "cursor.h"

#include "error.h"

int kz_cursor_shallow_none(kz_cursor *c, uint32_t target)
{
    (void)target;
    c->block_max = c->doc == KZ_DOC_END ? 0.0 : c->max_score;
    c->block_last = KZ_DOC_END;
    return KZ_OK;
}
