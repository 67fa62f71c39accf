/* reqopt.h - the cursor of a nested group with required, optional and excluded clauses
 * (reqopt_cursor.c). */
#ifndef KZ_REQOPT_H
#define KZ_REQOPT_H

#include "cursor.h"

/* Matches where req matches and no excl cursor does; score = req's score plus the scores of the
 * opt cursors on the same passage, in order. All cursors become owned by it. */
int kz_reqopt_cursor_new(kz_cursor **out, kz_arena *arena, kz_cursor *req, kz_cursor **opt,
                         size_t nopt, kz_cursor **excl, size_t nexcl);

#endif
