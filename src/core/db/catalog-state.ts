/**
 * The catalogue's state in D1 (one row of `catalog_state`): a generation that every app sync
 * bumps, so isolates re-read the remote functions only when they changed, and a digest of the
 * embedded functions last written, so a deployment's isolates rewrite them once, not each.
 */
import { z } from "zod";

const stateRowSchema = z.object({ generation: z.number().int(), embedded: z.string() });
export type CatalogState = z.infer<typeof stateRowSchema>;

/** The catalogue's state; a database whose migration has not run yet reads as never synced. */
export async function readCatalogState(db: D1Database): Promise<CatalogState> {
  const row = await db.prepare("SELECT generation, embedded FROM catalog_state WHERE id = 1").first();
  return row === null ? { generation: 0, embedded: "" } : stateRowSchema.parse(row);
}

/** The statement that bumps the generation, for the batch that changes the remote functions. */
export function bumpGeneration(db: D1Database): D1PreparedStatement {
  return db.prepare("UPDATE catalog_state SET generation = generation + 1 WHERE id = 1");
}

/** The statement that records `digest` as the embedded functions written. */
export function recordEmbedded(db: D1Database, digest: string): D1PreparedStatement {
  return db.prepare("UPDATE catalog_state SET embedded = ?1 WHERE id = 1").bind(digest);
}
