/**
 * The functions pages: every function with its triggers, flow control and last 24 hours; and one
 * function with its whole config, a form to invoke it and a bulk replay of its failed runs.
 */
import type { FC } from "hono/jsx";
import type { Trigger } from "../../../sdk/function.ts";
import type { CatalogFunction } from "../../core/functions/catalog.ts";
import type { FunctionStats } from "../../core/run-index/histogram.ts";
import type { RunIndexRow } from "../../core/db/runs.ts";
import { formatDuration, Json, Notice, Status, Time } from "../components.tsx";
import { MAX_CONTROL_REASON } from "../../../sdk/function-control.ts";
import { RunTable } from "./runs.tsx";

const FLOW_KEYS = [
  "concurrency",
  "throttle",
  "rateLimit",
  "debounce",
  "batchEvents",
  "singleton",
  "priority",
  "idempotency",
  "timeouts",
  "cancelOn",
] as const;

const triggerText = (trigger: Trigger): string =>
  "cron" in trigger
    ? `cron ${trigger.cron}${trigger.timezone ? ` (${trigger.timezone})` : ""}`
    : `${trigger.event}${trigger.if ? ` if ${trigger.if}` : ""}`;

const Triggers: FC<{ fn: CatalogFunction }> = ({ fn }) =>
  fn.triggers.length === 0 ? (
    <span class="muted">invoke only</span>
  ) : (
    <>
      {fn.triggers.map((trigger) => (
        <div class="mono">{triggerText(trigger)}</div>
      ))}
    </>
  );

const percent = (rate: number | null): string => (rate === null ? "—" : `${(rate * 100).toFixed(1)}%`);
const ms = (value: number | null): string => (value === null ? "—" : formatDuration(value));

const StatusCounts: FC<{ fnId: string; stats: FunctionStats }> = ({ fnId, stats }) => (
  <div class="actions">
    {Object.entries(stats.byStatus).map(([status, n]) => (
      <a href={`/dashboard/runs?function=${encodeURIComponent(fnId)}&status=${status}&range=24h`}>
        <Status status={status} /> {n}
      </a>
    ))}
    {stats.total === 0 ? <span class="muted">no runs</span> : null}
  </div>
);

/** The live part of the functions list. */
/** Where a function runs: embedded, or the app (an Inngest app, named so) and how Stepwise reaches it. */
function runsIn(fn: CatalogFunction): string {
  if (!fn.remote) return "embedded";
  const kind = fn.remote.protocol === "inngest" ? "Inngest app" : "app";
  return `${kind} ${fn.appId}: ${"binding" in fn.remote ? `binding ${fn.remote.binding}` : fn.remote.url}`;
}

export const FunctionsBody: FC<{ functions: { fn: CatalogFunction; stats: FunctionStats }[] }> = ({ functions }) => (
  <table>
    <thead>
      <tr>
        <th>Function</th>
        <th>Triggers</th>
        <th>Retries · flow control</th>
        <th>Runs, last 24 h</th>
        <th class="num">Failure rate</th>
        <th class="num">p50</th>
        <th class="num">p95</th>
      </tr>
    </thead>
    <tbody>
      {functions.map(({ fn, stats }) => (
        <tr>
          <td>
            <a href={`/dashboard/functions/${encodeURIComponent(fn.id)}`} class="mono">
              {fn.id}
            </a>
            {fn.control ? (
              <>
                {" "}
                <Status status={fn.control.mode} />
              </>
            ) : null}
            {fn.config.name && fn.config.name !== fn.id ? <div class="muted">{fn.config.name}</div> : null}
          </td>
          <td>
            <Triggers fn={fn} />
            <div class="muted">{runsIn(fn)}</div>
          </td>
          <td>
            {`${fn.config.retries} ${fn.config.retries === 1 ? "retry" : "retries"}`}
            {FLOW_KEYS.filter((key) => fn.config[key] !== undefined).map((key) => (
              <div class="muted">{key}</div>
            ))}
          </td>
          <td>
            <StatusCounts fnId={fn.id} stats={stats} />
          </td>
          <td class="num">{percent(stats.failureRate)}</td>
          <td class="num">{ms(stats.p50Ms)}</td>
          <td class="num">{ms(stats.p95Ms)}</td>
        </tr>
      ))}
    </tbody>
  </table>
);

/** What the invoke form held, to show it again when it was refused. */
export interface FunctionForms {
  invokeData?: string;
  error?: string;
  issues?: string[];
  notice?: string;
}

/** Whether the function is paused or draining, with the form that changes it. */
const Control: FC<{ fn: CatalogFunction; base: string }> = ({ fn, base }) =>
  fn.control ? (
    <div class="panel actions">
      <Status status={fn.control.mode} />
      <span>
        {fn.control.mode === "paused"
          ? "New runs wait, and running runs hold at their next step"
          : "New runs wait; running runs finish"}
        {" since "}
        <Time at={fn.control.since} />
        {fn.control.reason ? ` (${fn.control.reason})` : ""}.
      </span>
      <form method="post" action={`${base}/resume`} class="actions">
        <button type="submit">Resume</button>
      </form>
    </div>
  ) : (
    <div class="panel">
      <form method="post" action={`${base}/pause`} data-confirm={`Stop ${fn.id} from starting runs?`} class="actions">
        <label>
          Reason (shown on held runs)
          <input name="reason" maxlength={MAX_CONTROL_REASON} placeholder="optional" />
        </label>
        <button type="submit" name="mode" value="paused" class="plain">
          Pause
        </button>
        <button type="submit" name="mode" value="draining" class="plain">
          Drain
        </button>
      </form>
      <p class="muted">
        Pause: new runs wait and running runs hold at their next step. Drain: new runs wait; running runs finish. A cron
        tick meanwhile is skipped. Resume releases every held run.
      </p>
    </div>
  );

/** The forms of a function's page, outside its live region. */
export const FunctionForms: FC<{ fn: CatalogFunction; forms: FunctionForms }> = ({ fn, forms }) => {
  const base = `/dashboard/functions/${encodeURIComponent(fn.id)}`;
  return (
    <>
      <Notice text={forms.notice} />
      <Notice text={forms.error} error issues={forms.issues} />
      <div class="panel">
        <h1 class="mono">{fn.id}</h1>
        <p class="sub">
          {fn.config.name ? `${fn.config.name} · ` : ""}
          {runsIn(fn)}
        </p>
        <form method="post" action={`${base}/invoke`}>
          <label>
            Invoke with data (a JSON object)
            <textarea name="data">{forms.invokeData ?? "{}"}</textarea>
          </label>
          <div class="actions">
            <button type="submit">Invoke</button>
          </div>
        </form>
      </div>
      <Control fn={fn} base={base} />
      <div class="panel actions">
        <form
          method="post"
          action={`${base}/replay-failed`}
          data-confirm={`Replay every failed run of ${fn.id} in this range?`}
          class="actions"
        >
          <label>
            Replay failed runs from the
            <select name="range">
              <option value="1h">last hour</option>
              <option value="24h" selected>
                last 24 hours
              </option>
              <option value="7d">last 7 days</option>
              <option value="30d">last 30 days</option>
            </select>
          </label>
          <button type="submit" class="plain">
            Bulk replay failed runs
          </button>
        </form>
      </div>
    </>
  );
};

/** The live part of a function's page. */
export const FunctionBody: FC<{ fn: CatalogFunction; stats: FunctionStats; runs: RunIndexRow[]; now: number }> = ({
  fn,
  stats,
  runs,
  now,
}) => (
  <>
    <h2>Last 24 hours</h2>
    <div class="panel">
      <StatusCounts fnId={fn.id} stats={stats} />
      <dl class="meta">
        <div>
          <dt>Runs</dt>
          <dd>{stats.total}</dd>
        </div>
        <div>
          <dt>Failure rate</dt>
          <dd>{percent(stats.failureRate)}</dd>
        </div>
        <div>
          <dt>p50 duration</dt>
          <dd>{ms(stats.p50Ms)}</dd>
        </div>
        <div>
          <dt>p95 duration</dt>
          <dd>{ms(stats.p95Ms)}</dd>
        </div>
      </dl>
    </div>
    <h2>Triggers</h2>
    <div class="panel">
      <Triggers fn={fn} />
    </div>
    <h2>Config</h2>
    <Json value={fn.config} />
    <h2>
      Recent runs <a href={`/dashboard/runs?function=${encodeURIComponent(fn.id)}`}>all →</a>
    </h2>
    <RunTable runs={runs} now={now} empty="No runs yet." />
  </>
);
