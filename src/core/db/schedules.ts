/**
 * The schedules table in D1: every schedule made at run time, the list the API and the dashboard
 * page through (by id). A schedule's alarm and last tick live in its CronScheduler.
 */
import { z } from "zod";

const specSchema = z.object({
  cron: z.string().optional(),
  timezone: z.string().optional(),
  interval: z.number().int().optional(),
  anchor: z.number().int(),
  data: z.record(z.string(), z.unknown()),
});

const rowSchema = z.object({
  id: z.string(),
  function_id: z.string(),
  tenant: z.string().nullable(),
  dedup_key: z.string().nullable(),
  spec: z.string(),
  paused: z.number().int(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});

/** A schedule as stored. */
export interface StoredSchedule extends z.infer<typeof specSchema> {
  id: string;
  functionId: string;
  tenant?: string | undefined;
  key?: string | undefined;
  paused: boolean;
  createdAt: number;
  updatedAt: number;
}

const COLUMNS = "id, function_id, tenant, dedup_key, spec, paused, created_at, updated_at";

function fromRow(raw: unknown): StoredSchedule {
  const row = rowSchema.parse(raw);
  return {
    ...specSchema.parse(JSON.parse(row.spec)),
    id: row.id,
    functionId: row.function_id,
    ...(row.tenant !== null ? { tenant: row.tenant } : {}),
    ...(row.dedup_key !== null ? { key: row.dedup_key } : {}),
    paused: row.paused === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** One schedule, or undefined. */
export async function readSchedule(db: D1Database, id: string): Promise<StoredSchedule | undefined> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM schedules WHERE id = ?1`).bind(id).first();
  return row === null ? undefined : fromRow(row);
}

/** Up to `limit` schedules after `afterId`, by id, of one function and/or tenant. */
export async function readSchedules(
  db: D1Database,
  filter: { functionId?: string | undefined; tenant?: string | undefined; afterId?: string | undefined; limit: number },
): Promise<StoredSchedule[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM schedules WHERE (?1 IS NULL OR function_id = ?1) AND (?2 IS NULL OR tenant = ?2)
AND (?3 IS NULL OR id > ?3) ORDER BY id LIMIT ?4`,
    )
    .bind(filter.functionId ?? null, filter.tenant ?? null, filter.afterId ?? null, filter.limit)
    .all();
  return results.map(fromRow);
}

/** How many schedules `functionId` has. */
export async function countSchedules(db: D1Database, functionId: string): Promise<number> {
  const row = await db.prepare("SELECT COUNT(*) AS n FROM schedules WHERE function_id = ?1").bind(functionId).first();
  return z.object({ n: z.number() }).parse(row).n;
}

/** Writes a schedule (insert or replace). */
export async function writeSchedule(db: D1Database, schedule: StoredSchedule): Promise<void> {
  const { cron, timezone, interval, anchor, data } = schedule;
  await db
    .prepare(
      `INSERT INTO schedules (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT (id) DO UPDATE SET function_id = excluded.function_id, tenant = excluded.tenant,
  dedup_key = excluded.dedup_key, spec = excluded.spec, paused = excluded.paused, updated_at = excluded.updated_at`,
    )
    .bind(
      schedule.id,
      schedule.functionId,
      schedule.tenant ?? null,
      schedule.key ?? null,
      JSON.stringify({ cron, timezone, interval, anchor, data }),
      schedule.paused ? 1 : 0,
      schedule.createdAt,
      schedule.updatedAt,
    )
    .run();
}

/** Deletes a schedule; true when there was one. */
export async function deleteScheduleRow(db: D1Database, id: string): Promise<boolean> {
  const result = await db.prepare("DELETE FROM schedules WHERE id = ?1").bind(id).run();
  return result.meta.changes > 0;
}
