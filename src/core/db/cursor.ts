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
  return btoa(JSON.stringify([cursor.at, cursor.id]))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
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

/** The WHERE clause (empty when there are no conditions) and its numbered parameters. */
export function whereOf(conditions: Condition[]): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  for (const [clause, value] of conditions) {
    params.push(value);
    clauses.push(clause.replace("?", `?${params.length}`));
  }
  return { where: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

/** What a keyset page reads: the table, its columns, the time column it is ordered by, and the filter. */
export interface PageSpec {
  table: string;
  columns: string;
  timeColumn: string;
  conditions: Condition[];
  cursor?: Cursor | undefined;
  limit: number;
}

/**
 * The SQL of a newest-first keyset page over `table`: rows matching every condition, after the
 * cursor, one more than `limit` so the caller knows whether a next page exists.
 */
export function pageSql(spec: PageSpec): { sql: string; params: unknown[] } {
  const { where, params } = whereOf(spec.conditions);
  let clause = where;
  if (spec.cursor) {
    params.push(spec.cursor.at, spec.cursor.id);
    const after = `(${spec.timeColumn}, id) < (?${params.length - 1}, ?${params.length})`;
    clause = clause ? `${clause} AND ${after}` : `WHERE ${after}`;
  }
  params.push(spec.limit + 1);
  return {
    sql: `SELECT ${spec.columns} FROM ${spec.table} ${clause} ORDER BY ${spec.timeColumn} DESC, id DESC LIMIT ?${params.length}`,
    params,
  };
}

/** The statement of {@link pageSql}. */
export function pageQuery(db: D1Database, spec: PageSpec): D1PreparedStatement {
  const { sql, params } = pageSql(spec);
  return db.prepare(sql).bind(...params);
}

/** Trims the extra row of a {@link pageQuery} and gives the next cursor when there is more. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => Cursor): { items: T[]; next?: Cursor } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return rows.length > limit && last ? { items, next: cursorOf(last) } : { items };
}
