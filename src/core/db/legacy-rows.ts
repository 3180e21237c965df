/**
 * Reading a D1 table that an older release wrote and a later one moves out (events, idempotency
 * keys, runs): a database where the table was never made, or is gone, reads as empty.
 */

/** The rows `statement` reads, or none when its table does not exist. */
export async function legacyRows(statement: D1PreparedStatement): Promise<Record<string, unknown>[]> {
  try {
    return (await statement.all<Record<string, unknown>>()).results;
  } catch (error) {
    if (String(error).includes("no such table")) return [];
    throw error;
  }
}
