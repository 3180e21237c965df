/**
 * What an event did besides starting runs: the runs whose waits it resumed and those its
 * `cancelOn` cancelled, kept for its page in the EventShard its id names (at most
 * {@link MAX_EFFECTS_PER_EVENT} per event), for as long as events are kept.
 */
import { z } from "zod";

/** The most effects kept per event: an event resuming ten thousand waits lists the first 200. */
export const MAX_EFFECTS_PER_EVENT = 200;

export const EFFECT_KINDS = ["resumed", "cancelled"] as const;
export type EffectKind = (typeof EFFECT_KINDS)[number];

const effectRowSchema = z.object({ run_id: z.string(), kind: z.enum(EFFECT_KINDS), at: z.number() });
/** One run an event resumed or cancelled. */
export type EventEffect = { runId: string; kind: EffectKind; at: number };

export function createEffectsTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS event_effects (
    event_id TEXT NOT NULL, run_id TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (event_id, run_id, kind))`);
  sql.exec(`CREATE INDEX IF NOT EXISTS event_effects_by_at ON event_effects (at)`);
}

/** Notes that `eventId` resumed or cancelled `runId` (once; past the cap, nothing). */
export function noteEffect(sql: SqlStorage, eventId: string, runId: string, kind: EffectKind, at: number): void {
  sql.exec(
    `INSERT OR IGNORE INTO event_effects (event_id, run_id, kind, at)
SELECT ?1, ?2, ?3, ?4 WHERE (SELECT COUNT(*) FROM event_effects WHERE event_id = ?1) < ?5`,
    eventId,
    runId,
    kind,
    at,
    MAX_EFFECTS_PER_EVENT,
  );
}

/** What `eventId` resumed or cancelled, oldest first. */
export function effectsOf(sql: SqlStorage, eventId: string): EventEffect[] {
  return sql
    .exec(`SELECT run_id, kind, at FROM event_effects WHERE event_id = ?1 ORDER BY at, run_id`, eventId)
    .toArray()
    .map((raw) => {
      const row = effectRowSchema.parse(raw);
      return { runId: row.run_id, kind: row.kind, at: row.at };
    });
}

/** Forgets effects noted before `before` (events' retention: their events are gone by then). */
export function pruneEffects(sql: SqlStorage, before: number): void {
  sql.exec(`DELETE FROM event_effects WHERE at < ?1`, before);
}
