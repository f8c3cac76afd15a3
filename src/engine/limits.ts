/**
 * Bounds on quantities, shared by everything that holds or accepts a stock level: the scenario
 * schema (initial stock, restock levels, listing-policy units), the HTTP contract of
 * `invsim serve` and the stores.
 *
 * Why 2³¹ − 1: the simulator keeps levels and listings in Int32Array columns, PostgreSQL's
 * `integer` column and many marketplace APIs hold 32-bit signed quantities, and a level past it
 * wrapped to a negative number (issue 11, item 7: 3e9 became −1 294 967 296). Anything that would
 * set a level above it is refused where it enters, with the reason; arithmetic below it, sums of
 * two levels included, stays exact in a double (2⁵³).
 */

/** The largest stock level of one SKU (units). */
export const MAX_STOCK_LEVEL = 2_147_483_647;
