/**
 * The function_controls table: which functions an operator paused or is draining. Read with the
 * remote functions whenever the catalogue's generation moves (every change here bumps it), so a
 * run asks D1 nothing per step to learn whether its function is paused.
 */
import { z } from "zod";
import { CONTROL_MODES, type ControlMode } from "../../../sdk/function-control.ts";
import { bumpGeneration } from "./catalog-state.ts";

const controlRowSchema = z.object({
  function_id: z.string(),
  mode: z.enum(CONTROL_MODES),
  reason: z.string().nullable(),
  since: z.number().int(),
});

/** A function's control, as the catalogue carries it. */
export interface FunctionControl {
  mode: ControlMode;
  /** Since when (epoch ms). */
  since: number;
  reason?: string;
}

/** Every control, by function id; a database whose migration has not run yet has none. */
export async function readControls(db: D1Database): Promise<Map<string, FunctionControl>> {
  const { results } = await db
    .prepare("SELECT function_id, mode, reason, since FROM function_controls")
    .all()
    .catch((error: unknown) => {
      if (String(error).includes("no such table")) return { results: [] };
      throw error;
    });
  return new Map(
    results.map((raw) => {
      const row = controlRowSchema.parse(raw);
      const control: FunctionControl = {
        mode: row.mode,
        since: row.since,
        ...(row.reason ? { reason: row.reason } : {}),
      };
      return [row.function_id, control];
    }),
  );
}

/** Sets a function's control (a change of mode keeps `since` only when the mode stays). */
export async function writeControl(db: D1Database, functionId: string, control: FunctionControl): Promise<void> {
  await db.batch([
    db
      .prepare(
        `INSERT INTO function_controls (function_id, mode, reason, since) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (function_id) DO UPDATE SET reason = excluded.reason,
  since = CASE WHEN function_controls.mode = excluded.mode THEN function_controls.since ELSE excluded.since END,
  mode = excluded.mode`,
      )
      .bind(functionId, control.mode, control.reason ?? null, control.since),
    bumpGeneration(db),
  ]);
}

/** Removes a function's control; true when it had one. */
export async function clearControl(db: D1Database, functionId: string): Promise<boolean> {
  const [deleted] = await db.batch([
    db.prepare("DELETE FROM function_controls WHERE function_id = ?1").bind(functionId),
    bumpGeneration(db),
  ]);
  return (deleted?.meta.changes ?? 0) > 0;
}
