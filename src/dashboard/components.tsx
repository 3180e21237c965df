/**
 * Small pieces every dashboard page uses: status badges, times, durations and JSON. Everything
 * user-supplied goes through JSX text, which escapes it.
 */
import type { FC } from "hono/jsx";
import { formatBytes } from "../core/lib/json-size.ts";

/** A run or step status as a coloured badge. */
export const Status: FC<{ status: string }> = ({ status }) => <span class={`badge s-${status}`}>{status}</span>;

/** "1.2 s", "3 m 4 s", "2 d 3 h": a duration as people read it. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const units: [string, number][] = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ];
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || parts.length > 0) parts.push(`${n} ${unit}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return parts.filter((part) => !part.startsWith("0 ")).join(" ");
}

/** A moment in UTC, to the second, with the exact ISO time on hover. */
export const Time: FC<{ at: number | string | null | undefined }> = ({ at }) => {
  const date = at === null || at === undefined ? undefined : new Date(at);
  if (!date || Number.isNaN(date.getTime())) return <span class="muted">—</span>;
  const iso = date.toISOString();
  return (
    <time datetime={iso} title={iso}>
      {iso.slice(0, 19).replace("T", " ")}
    </time>
  );
};

/** A JSON value, pretty-printed. */
export const Json: FC<{ value: unknown }> = ({ value }) => (
  <pre>{value === undefined ? "—" : JSON.stringify(value, null, 2)}</pre>
);

/** An error as stored (name, message, stack), stack and all. */
export const ErrorBlock: FC<{ error: { name?: string; message?: string; stack?: string } | undefined | null }> = ({
  error,
}) =>
  error ? (
    <pre class="err">
      {error.stack && error.stack.includes(error.message ?? "")
        ? error.stack
        : `${error.name ?? "Error"}: ${error.message ?? ""}${error.stack ? `\n${error.stack}` : ""}`}
    </pre>
  ) : null;

/** A notice at the top of a page: what an action did, or why it was refused. */
export const Notice: FC<{ text: string | undefined; error?: boolean; issues?: string[] | undefined }> = ({
  text,
  error,
  issues,
}) =>
  text ? (
    <div class={error ? "notice error" : "notice"} role={error ? "alert" : "status"}>
      {text}
      {issues && issues.length > 0 ? (
        <ul>
          {issues.map((issue) => (
            <li>{issue}</li>
          ))}
        </ul>
      ) : null}
    </div>
  ) : null;

/** A button that posts a form to `action`, with optional hidden fields and a confirmation. */
export const ActionButton: FC<{
  action: string;
  label: string;
  fields?: Record<string, string>;
  confirm?: string;
  kind?: "danger" | "plain";
}> = ({ action, label, fields, confirm, kind }) => (
  <form method="post" action={action} data-confirm={confirm}>
    {Object.entries(fields ?? {}).map(([name, value]) => (
      <input type="hidden" name={name} value={value} />
    ))}
    <button type="submit" class={kind}>
      {label}
    </button>
  </form>
);

/** A result too large for the page: its size, and its signed link when the deployment can sign one. */
export function KeptInR2({
  bytes,
  url,
  what = "The result",
}: {
  bytes: number;
  url?: string | undefined;
  what?: string;
}) {
  return (
    <p>
      {`${what}, ${formatBytes(bytes)} of JSON, is kept in R2`}
      {url ? (
        <>
          {": "}
          <a href={url}>download it</a> (the link works for an hour).
        </>
      ) : (
        " (set API keys to download it from here)."
      )}
    </p>
  );
}
