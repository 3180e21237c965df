/**
 * The runs page: the run index newest first, narrowed by function, status, time range and event
 * name, searched by run or event id, counted per status and paged by cursor.
 */
import type { FC } from "hono/jsx";
import { z } from "zod";
import { RUN_STATUSES } from "../../../durable-objects/run/state.ts";
import { encodeCursor, type Cursor } from "../../core/db/cursor.ts";
import type { RunIndexRow } from "../../core/db/runs.ts";
import { pagingSchema } from "../../core/db/paging.ts";
import { formatDuration, Status, Time } from "../components.tsx";

/** Time ranges offered by the filter, in ms. */
export const RANGES = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000, "30d": 30 * 86_400_000 } as const;

const blankIsAbsent = (value: unknown) => (value === "" ? undefined : value);
const utcTime = z.string().transform((text, ctx) => {
  const ms = Date.parse(/Z|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`);
  if (Number.isNaN(ms)) ctx.addIssue({ code: "custom", message: "expected a date and time (UTC)" });
  return ms;
});

/** The runs page's query string. */
export const runsQuerySchema = pagingSchema.extend({
  function: z.preprocess(blankIsAbsent, z.string().max(256).optional()),
  status: z.preprocess(blankIsAbsent, z.enum(RUN_STATUSES).optional()),
  event: z.preprocess(blankIsAbsent, z.string().max(256).optional()),
  range: z.preprocess(blankIsAbsent, z.enum(Object.keys(RANGES) as [keyof typeof RANGES]).optional()),
  from: z.preprocess(blankIsAbsent, utcTime.optional()),
  to: z.preprocess(blankIsAbsent, utcTime.optional()),
  q: z.preprocess(blankIsAbsent, z.string().trim().max(256).optional()),
  tag: z.preprocess(blankIsAbsent, z.string().trim().max(128).optional()),
  key: z.preprocess(blankIsAbsent, z.string().trim().max(128).optional()),
});
export type RunsQuery = z.output<typeof runsQuerySchema>;

/** The query string for the same filter with some fields changed (undefined drops a field). */
function withQuery(raw: Record<string, string>, changes: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...raw, ...changes }))
    if (value !== undefined && value !== "") params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : "";
}

const toInput = (ms: number | undefined): string => (ms === undefined ? "" : new Date(ms).toISOString().slice(0, 16));

/** The filter form; it sits outside the live region so typing survives a refresh. */
export const RunFilters: FC<{ query: RunsQuery; functions: string[]; raw: Record<string, string> }> = ({
  query,
  functions,
  raw,
}) => (
  <form class="filters" method="get" action="/dashboard/runs">
    <label>
      Search
      <input name="q" value={query.q ?? ""} placeholder="run id or event id" size={28} />
    </label>
    <label>
      Function
      <select name="function">
        <option value="">all</option>
        {functions.map((id) => (
          <option value={id} selected={query.function === id}>
            {id}
          </option>
        ))}
      </select>
    </label>
    <label>
      Status
      <select name="status">
        <option value="">all</option>
        {RUN_STATUSES.map((status) => (
          <option value={status} selected={query.status === status}>
            {status}
          </option>
        ))}
      </select>
    </label>
    <label>
      Event name
      <input name="event" value={query.event ?? ""} placeholder="e.g. order/placed" />
    </label>
    <label>
      Tag
      <input name="tag" value={query.tag ?? ""} placeholder="e.g. customer:42" size={14} />
    </label>
    <label>
      Metadata key
      <input name="key" value={query.key ?? ""} placeholder="e.g. progress" size={12} />
    </label>
    <label>
      Range
      <select name="range">
        <option value="">any time</option>
        {Object.keys(RANGES).map((range) => (
          <option value={range} selected={query.range === range}>{`last ${range}`}</option>
        ))}
      </select>
    </label>
    <label>
      From (UTC)
      <input type="datetime-local" name="from" value={toInput(query.from)} />
    </label>
    <label>
      To (UTC)
      <input type="datetime-local" name="to" value={toInput(query.to)} />
    </label>
    <button type="submit">Filter</button>
    {Object.keys(raw).length > 0 ? <a href="/dashboard/runs">Clear</a> : null}
  </form>
);

/** A table of runs (shared by the runs, event and function pages). */
export const RunTable: FC<{ runs: RunIndexRow[]; now: number; empty: string }> = ({ runs, now, empty }) =>
  runs.length === 0 ? (
    <p class="panel muted">{empty}</p>
  ) : (
    <table>
      <thead>
        <tr>
          <th>Status</th>
          <th>Run</th>
          <th>Function</th>
          <th>Event</th>
          <th>Started (UTC)</th>
          <th class="num">Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr>
            <td>
              <Status status={run.status} />
            </td>
            <td>
              <a class="mono" href={`/dashboard/runs/${encodeURIComponent(run.id)}`}>
                {run.id}
              </a>
            </td>
            <td class="mono">{run.functionId}</td>
            <td class="mono">{run.eventName}</td>
            <td>
              <Time at={run.createdAt} />
            </td>
            <td class="num">
              {formatDuration((run.endedAt ?? now) - run.createdAt)}
              {run.endedAt === null ? "…" : ""}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );

/** The live part of the runs page: counts per status, the page of runs, the pager. */
export const RunsBody: FC<{
  raw: Record<string, string>;
  query: RunsQuery;
  counts: Record<string, number>;
  runs: RunIndexRow[];
  next: Cursor | undefined;
  now: number;
}> = ({ raw, query, counts, runs, next, now }) => {
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return (
    <>
      <div class="counts" aria-label="Runs per status">
        <a
          href={`/dashboard/runs${withQuery(raw, { status: undefined, cursor: undefined })}`}
          class={query.status ? undefined : "on"}
        >
          all <strong>{total}</strong>
        </a>
        {RUN_STATUSES.filter((status) => counts[status]).map((status) => (
          <a
            href={`/dashboard/runs${withQuery(raw, { status, cursor: undefined })}`}
            class={query.status === status ? "on" : undefined}
          >
            <Status status={status} /> <strong>{counts[status]}</strong>
          </a>
        ))}
      </div>
      <RunTable runs={runs} now={now} empty="No runs match." />
      <div class="pager">
        {query.cursor ? <a href={`/dashboard/runs${withQuery(raw, { cursor: undefined })}`}>← Newest</a> : null}
        {next ? <a href={`/dashboard/runs${withQuery(raw, { cursor: encodeCursor(next) })}`}>Older →</a> : null}
      </div>
    </>
  );
};
