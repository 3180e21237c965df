/** The plan SQLite gives a query in an object's own storage, to check it reads by an index. */

/** The steps of `query`'s plan in `sql`, joined by "; ". */
export const queryPlan = (sql: SqlStorage, query: string, ...args: unknown[]): string =>
  sql
    .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${query}`, ...args)
    .toArray()
    .map((row) => row.detail)
    .join("; ");
