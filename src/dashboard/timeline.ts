/**
 * The run's waterfall, derived from its history: one row per step, each a set of segments on a
 * shared time axis (attempts that failed, backoff between them, the attempt that succeeded,
 * sleeps, waits for events or child runs, a step still running). Pure, so it is tested in Node.
 */
import type { HistoryEntry } from "../../durable-objects/run/history.ts";

/** What a stretch of a step's time was spent on. */
export type SegmentKind = "ok" | "failed" | "backoff" | "sleep" | "wait" | "running";

export interface Segment {
  kind: SegmentKind;
  from: number;
  to: number;
  /** Shown on hover: the attempt, the error, the time slept. */
  label: string;
  /** Still to come: the rest of a sleep (or a wait's deadline) the run has not reached yet. */
  projected?: boolean;
}

export interface TimelineRow {
  stepId: string;
  name: string;
  from: number;
  to: number;
  segments: Segment[];
}

export interface Timeline {
  from: number;
  to: number;
  rows: TimelineRow[];
}

function rowFor(rows: Map<string, TimelineRow>, stepId: string, name: string, at: number): TimelineRow {
  let row = rows.get(stepId);
  if (!row) rows.set(stepId, (row = { stepId, name, from: at, to: at, segments: [] }));
  return row;
}

function add(row: TimelineRow, segment: Segment): void {
  row.segments.push(segment);
  row.from = Math.min(row.from, segment.from);
  // A projected stretch has not happened: the row's duration is what did.
  if (!segment.projected) row.to = Math.max(row.to, segment.to);
}

/**
 * Lays out `history` up to `now`. Stretches still open (a step running, a sleep or a wait not
 * over) end at `now` when the run is active, or where the run ended.
 */
export function buildTimeline(history: HistoryEntry[], now: number): Timeline {
  const rows = new Map<string, TimelineRow>();
  const open = new Map<string, { kind: SegmentKind; from: number; label: string; until?: number }>();
  const first = history[0]?.at ?? now;
  let ended: number | undefined;
  for (const entry of history) {
    switch (entry.type) {
      case "step.scheduled":
        rowFor(rows, entry.stepId, entry.name, entry.at);
        if (entry.op === "run" || entry.op === "send")
          open.set(entry.stepId, { kind: "running", from: entry.at, label: "running" });
        break;
      case "step.sleeping":
        open.set(entry.stepId, {
          kind: "sleep",
          from: entry.at,
          label: `sleeping until ${new Date(entry.until).toISOString()}`,
          until: entry.until,
        });
        rowFor(rows, entry.stepId, entry.name, entry.at);
        break;
      case "step.waiting":
        open.set(entry.stepId, {
          kind: "wait",
          from: entry.at,
          label: `waiting for "${entry.wait.event}" until ${new Date(entry.wait.until).toISOString()} at the latest`,
          until: entry.wait.until,
        });
        rowFor(rows, entry.stepId, entry.name, entry.at);
        break;
      case "step.invoking":
        open.set(entry.stepId, {
          kind: "wait",
          from: entry.at,
          label: `waiting for ${entry.childRunIds.length} child run(s)`,
        });
        rowFor(rows, entry.stepId, entry.name, entry.at);
        break;
      case "step.woken": {
        const sleep = open.get(entry.stepId);
        open.delete(entry.stepId);
        if (sleep)
          add(rowFor(rows, entry.stepId, entry.name, sleep.from), {
            ...sleep,
            to: entry.at,
            label: entry.early ? `${sleep.label} (woken early)` : sleep.label,
          });
        break;
      }
      case "step.retrying": {
        open.delete(entry.stepId);
        const row = rowFor(rows, entry.stepId, entry.name, entry.startedAt);
        add(row, {
          kind: "failed",
          from: entry.startedAt,
          to: entry.at,
          label: `attempt ${entry.attempt + 1}: ${entry.error.message}`,
        });
        add(row, {
          kind: "backoff",
          from: entry.at,
          to: entry.retryAt,
          label: `backoff, retry at ${new Date(entry.retryAt).toISOString()}`,
        });
        break;
      }
      case "step.completed":
      case "step.failed": {
        const waiting = open.get(entry.stepId);
        open.delete(entry.stepId);
        const row = rowFor(rows, entry.stepId, entry.name, entry.startedAt ?? entry.at);
        if (waiting && waiting.kind !== "running") add(row, { ...waiting, to: entry.at });
        const from = entry.startedAt ?? (waiting?.kind === "running" ? waiting.from : entry.at);
        const kind = entry.type === "step.completed" ? "ok" : "failed";
        const label =
          entry.type === "step.failed"
            ? `attempt ${entry.attempt + 1} failed: ${entry.error.message}`
            : `attempt ${entry.attempt + 1}`;
        if (entry.type === "step.failed" || entry.op === "run" || entry.op === "send")
          add(row, { kind, from, to: entry.at, label });
        break;
      }
      case "run.completed":
      case "run.failed":
      case "run.cancelled":
      case "run.skipped":
        ended = entry.at;
        break;
      default:
        break;
    }
  }
  const end = ended ?? now;
  for (const [stepId, { until, ...stretch }] of open) {
    const row = rows.get(stepId);
    if (!row) continue;
    add(row, {
      ...stretch,
      to: Math.max(stretch.from, end),
      label: ended === undefined ? stretch.label : `${stretch.label} (run ended)`,
    });
    // An active run's sleep is drawn on to its end (a wait to its deadline), lighter: still to come.
    if (ended === undefined && until !== undefined && until > end)
      add(row, { ...stretch, from: end, to: until, label: `${stretch.label} (to come)`, projected: true });
  }
  const rowList = [...rows.values()];
  const last = Math.max(end, ...rowList.flatMap((row) => [row.to, ...row.segments.map((segment) => segment.to)]));
  return { from: first, to: ended ?? Math.max(last, now), rows: rowList };
}
