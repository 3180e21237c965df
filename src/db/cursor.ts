/**
 * Cursors for keyset pagination: the (time, id) of the last row a page showed, opaque to clients.
 * Pages ordered by (time DESC, id DESC) stay stable while new rows arrive.
 */
import { z } from "zod";

const cursorSchema = z.tuple([z.number().int(), z.string()]);

/** A position in a (time DESC, id DESC) listing. */
export interface Cursor {
  at: number;
  id: string;
}

/** Encodes the position after `row` as an opaque string. */
export function encodeCursor(cursor: Cursor): string {
  return btoa(JSON.stringify([cursor.at, cursor.id])).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Decodes a cursor from a client, or undefined when it is not one of ours. */
export function decodeCursor(text: string): Cursor | undefined {
  try {
    const json: unknown = JSON.parse(atob(text.replaceAll("-", "+").replaceAll("_", "/")));
    const parsed = cursorSchema.safeParse(json);
    return parsed.success ? { at: parsed.data[0], id: parsed.data[1] } : undefined;
  } catch {
    return undefined;
  }
}

/** A condition on one column, `?` standing for its value. */
export type Condition = [clause: string, value: unknown];

/**
 * A newest-first keyset page query over `table`: rows matching every condition, after the
 * cursor, one more than `limit` so the caller knows whether a next page exists.
 */
export function pageQuery(
  db: D1Database,
  options: { table: string; columns: string; timeColumn: string; conditions: Condition[]; cursor?: Cursor | undefined; limit: number },
): D1PreparedStatement {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [clause, value] of options.conditions) {
    params.push(value);
    where.push(clause.replace("?", `?${params.length}`));
  }
  if (options.cursor) {
    params.push(options.cursor.at, options.cursor.id);
    where.push(`(${options.timeColumn}, id) < (?${params.length - 1}, ?${params.length})`);
  }
  params.push(options.limit + 1);
  const sql = `SELECT ${options.columns} FROM ${options.table} ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY ${options.timeColumn} DESC, id DESC LIMIT ?${params.length}`;
  return db.prepare(sql).bind(...params);
}

/** Trims the extra row of a {@link pageQuery} and gives the next cursor when there is more. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => Cursor): { items: T[]; next?: Cursor } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return rows.length > limit && last ? { items, next: cursorOf(last) } : { items };
}
