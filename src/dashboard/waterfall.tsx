/**
 * The run's waterfall: a row per step on one time axis, drawn in SVG (attributes, not inline
 * styles, so the Content-Security-Policy can stay strict).
 */
import type { FC } from "hono/jsx";
import { formatDuration } from "./components.tsx";
import type { SegmentKind, Timeline } from "./timeline.ts";

const LEGEND: [SegmentKind, string][] = [
  ["ok", "succeeded"],
  ["failed", "failed attempt"],
  ["backoff", "backoff"],
  ["sleep", "sleep"],
  ["wait", "waiting"],
  ["running", "running"],
];

const percent = (value: number): string => `${Math.min(100, Math.max(0, value)).toFixed(3)}%`;

/** The waterfall of `timeline`; empty runs say so. */
export const Waterfall: FC<{ timeline: Timeline }> = ({ timeline }) => {
  if (timeline.rows.length === 0) return <p class="muted">No steps yet.</p>;
  const span = Math.max(1, timeline.to - timeline.from);
  const x = (at: number): number => ((at - timeline.from) / span) * 100;
  return (
    <div>
      <div class="wf" role="list" aria-label="Step timeline">
        {timeline.rows.map((row) => (
          <>
            <div class="name mono" title={row.name}>
              {row.name}
            </div>
            <svg
              role="listitem"
              aria-label={`${row.name}: ${row.segments.map((segment) => segment.label).join("; ")}`}
              preserveAspectRatio="none"
            >
              {row.segments.map((segment) => {
                const from = Math.min(segment.from, timeline.to);
                const to = Math.min(segment.to, timeline.to);
                return (
                  <rect
                    class={`seg-${segment.kind}${segment.projected ? " seg-projected" : ""}`}
                    x={percent(x(from))}
                    width={percent(Math.max(0.4, x(to) - x(from)))}
                    y="2"
                    height="12"
                    rx="2"
                  >
                    <title>{`${segment.label} · ${formatDuration(segment.to - segment.from)}`}</title>
                  </rect>
                );
              })}
            </svg>
            <div class="dur">{formatDuration(row.to - row.from)}</div>
          </>
        ))}
      </div>
      <div class="legend">
        {LEGEND.map(([kind, label]) => (
          <span>
            <svg viewBox="0 0 10 10">
              <rect class={`seg-${kind}`} width="10" height="10" rx="2" />
            </svg>{" "}
            {label}
          </span>
        ))}
        {timeline.rows.some((row) => row.segments.some((segment) => segment.projected)) ? (
          <span>
            <svg viewBox="0 0 10 10">
              <rect class="seg-sleep seg-projected" width="10" height="10" rx="2" />
            </svg>{" "}
            still to come
          </span>
        ) : null}
        <span>{`axis: ${formatDuration(span)}`}</span>
      </div>
    </div>
  );
};
