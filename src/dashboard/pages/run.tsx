/**
 * A run's page: what it is, what it did (the waterfall and each step's output or error), the
 * event(s) that started it, its relatives, the history log, and what can be done to it.
 */
import { z } from "zod";
import type { FC } from "hono/jsx";
import type { HistoryEntry } from "../../../durable-objects/run/history.ts";
import type { RunView } from "../../../durable-objects/run/view.ts";
import { ActionButton, ErrorBlock, formatDuration, Json, KeptInR2, Notice, Status, Time } from "../components.tsx";
import { buildTimeline } from "../timeline.ts";
import { Waterfall } from "../waterfall.tsx";
import { RunTokens } from "./run-tokens.tsx";
import { isEnded, isReplayable } from "../../../sdk/run-status.ts";

const runLink = (id: string) => (
  <a href={`/dashboard/runs/${encodeURIComponent(id)}`} class="mono">
    {id}
  </a>
);

/** Every failed attempt of the run: its steps' (a completed step's attempts less the one that worked) and its body's. */
const failedAttempts = (run: RunView): number =>
  run.attempt +
  run.steps.reduce((sum, step) => sum + (step.status === "completed" ? step.attempts - 1 : step.attempts), 0);

/** Fields of history entries that hold a moment (epoch ms), shown as times. */
const TIME_FIELDS = new Set([
  "until",
  "retryAt",
  "startedAt",
  "notBefore",
  "startAt",
  "finishBy",
  "expiresAt",
  "completedAt",
  "ts",
]);

/** What the history entry says beyond its type, seq and time. */
function entryDetail(entry: HistoryEntry): string {
  const {
    type: _type,
    seq: _seq,
    at: _at,
    stepId: _stepId,
    name: _name,
    ...rest
  } = entry as HistoryEntry & { stepId?: string; name?: string };
  // Moments read as ISO times, not epoch milliseconds.
  const text = JSON.stringify(rest, (key, value: unknown) =>
    TIME_FIELDS.has(key) && typeof value === "number" && value > 0 ? new Date(value).toISOString() : value,
  );
  return text === "{}" ? "" : text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

function childRuns(history: HistoryEntry[]): string[] {
  return history.flatMap((entry) => (entry.type === "step.invoking" ? entry.childRunIds : []));
}

/** Why a sleeping or waiting run is not running, in a line beside its status. */
const Why: FC<{ run: RunView }> = ({ run }) => {
  if (run.status === "sleeping" && run.nextWakeAt)
    return (
      <span class="muted">
        wakes <Time at={run.nextWakeAt} />
      </span>
    );
  if (run.status !== "waiting") return null;
  const waiting = run.steps.filter((step) => step.status === "waiting" || step.status === "invoking");
  const what = waiting.map((step) =>
    step.wait
      ? `event ${step.wait.events.map((part) => `"${part.event}"${part.if ? ` where ${part.if}` : ""}`).join(step.wait.mode === "all" ? " and " : " or ")}`
      : step.tokenId
        ? "its wait token"
        : step.op === "invoke"
          ? `child run${(step.childRunIds?.length ?? 0) === 1 ? "" : "s"} of "${step.name}"`
          : `"${step.name}"`,
  );
  return (
    <span class="muted">
      {`waits for ${what.join("; ")}`}
      {run.nextWakeAt ? (
        <>
          {", times out "}
          <Time at={run.nextWakeAt} />
        </>
      ) : null}
    </span>
  );
};

/** What a wait step waits for: each event with its condition and whether it came, and its deadline. */
const WaitsFor: FC<{ step: RunView["steps"][number] }> = ({ step }) => {
  const wait = step.wait!;
  const open = step.status === "waiting";
  return (
    <div>
      <p>
        {open ? "Waits for " : "Waited for "}
        {wait.events.length === 1
          ? "the event"
          : wait.mode === "all"
            ? "all of these events"
            : "the first of these events"}
        {open ? ", until " : ", until at most "}
        <Time at={wait.until} />
        {open ? " (then it times out with null):" : ":"}
      </p>
      <ul>
        {wait.events.map((part) => (
          <li>
            <span class="mono">{part.event}</span>
            {part.if ? (
              <>
                {" where "}
                <code>{part.if}</code>
              </>
            ) : null}
            {part.arrived ? " · arrived" : open ? " · not yet" : " · did not arrive"}
          </li>
        ))}
      </ul>
    </div>
  );
};

/** Whether the run can be replayed from a chosen step or with new data: it ended, and was not skipped. */
const restartable = (run: RunView): boolean => isEnded(run.status) && run.status !== "skipped";

const Actions: FC<{ run: RunView }> = ({ run }) => {
  const base = `/dashboard/runs/${encodeURIComponent(run.id)}`;
  const terminal = isEnded(run.status);
  return (
    <div class="actions">
      {!terminal ? (
        <ActionButton action={`${base}/cancel`} label="Cancel" kind="danger" confirm="Cancel this run?" />
      ) : null}
      {run.status === "scheduled" ? (
        <ActionButton action={`${base}/start-now`} label="Start now" kind="plain" confirm="Start this run now?" />
      ) : run.status === "waiting" && run.nextWakeAt ? (
        // Firing a wait's timer ends it as a timeout: its step gets null, not an event.
        <ActionButton
          action={`${base}/wake`}
          label="Time out the wait"
          kind="plain"
          confirm="End the wait now as if it timed out? Its step gets null instead of an event or token."
        />
      ) : !terminal && run.nextWakeAt ? (
        <ActionButton action={`${base}/wake`} label="Wake now" kind="plain" />
      ) : null}
      {isReplayable(run.status) ? (
        <>
          <ActionButton action={`${base}/replay`} label="Replay" />
          <ActionButton
            action={`${base}/replay`}
            label="Replay from start"
            fields={{ fromStart: "true" }}
            kind="plain"
          />
        </>
      ) : null}
    </div>
  );
};

/** The live part of the run page. */
export const RunBody: FC<{
  run: RunView;
  history: HistoryEntry[];
  now: number;
  notice?: { text: string; error: boolean } | undefined;
}> = ({ run, history, now, notice }) => {
  const created = run.createdAt ? Date.parse(run.createdAt) : now;
  const ended = run.endedAt ? Date.parse(run.endedAt) : undefined;
  const children = childRuns(history);
  return (
    <>
      <Notice text={notice?.text} error={notice?.error ?? false} />
      <div class="panel">
        <div class="actions">
          <h1 class="mono">{run.functionId}</h1>
          <Status status={run.status} />
          {run.queuedReason ? <span class="muted">{run.queuedReason}</span> : null}
          {run.heldReason ? <span class="muted">{run.heldReason}: it goes on when the function is resumed</span> : null}
          <Why run={run} />
        </div>
        <p class="sub mono">{run.id}</p>
        <dl class="meta">
          <div>
            <dt>{run.startAt ? "Created" : "Started"}</dt>
            <dd>
              <Time at={run.createdAt} />
            </dd>
          </div>
          {run.startAt ? (
            <div>
              <dt>{run.status === "scheduled" ? "Starts" : "Scheduled for"}</dt>
              <dd>
                <Time at={run.startAt} />
              </dd>
            </div>
          ) : null}
          <div>
            <dt>Ended</dt>
            <dd>
              <Time at={run.endedAt} />
            </dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>
              {formatDuration((ended ?? now) - created)}
              {ended ? "" : " so far"}
            </dd>
          </div>
          <div>
            <dt>Failed attempts</dt>
            <dd title="Attempts of its steps (and of its function's code between steps) that failed, each retried or final">
              {failedAttempts(run)}
            </dd>
          </div>
          {run.version ? (
            <div>
              <dt>Version</dt>
              <dd class="mono" title="The version of the code the run started on">
                {run.version}
              </dd>
            </div>
          ) : null}
          {run.nextWakeAt ? (
            <div>
              <dt>Next wake-up</dt>
              <dd>
                <Time at={run.nextWakeAt} />
              </dd>
            </div>
          ) : null}
          {run.tags?.length ? (
            <div>
              <dt>Tags</dt>
              <dd>
                {run.tags.map((tag) => (
                  <a class="tag mono" href={`/dashboard/runs?tag=${encodeURIComponent(tag)}`}>
                    {tag}
                  </a>
                ))}
              </dd>
            </div>
          ) : null}
          {run.parentRunId ? (
            <div>
              <dt>Parent run</dt>
              <dd>{runLink(run.parentRunId)}</dd>
            </div>
          ) : null}
          {run.replayOf ? (
            <div>
              <dt>Replay of</dt>
              <dd>{runLink(run.replayOf)}</dd>
            </div>
          ) : null}
          {run.failureRunId ? (
            <div>
              <dt>onFailure run</dt>
              <dd>{runLink(run.failureRunId)}</dd>
            </div>
          ) : null}
          {children.length > 0 ? (
            <div>
              <dt>Child runs</dt>
              <dd>
                {children.map((id) => (
                  <div>{runLink(id)}</div>
                ))}
              </dd>
            </div>
          ) : null}
        </dl>
        <div class="actions">
          <Actions run={run} />
        </div>
      </div>
      <h2>Timeline</h2>
      <div class="panel">
        <Waterfall timeline={buildTimeline(history, now)} />
      </div>
      {run.error ? (
        <>
          <h2>Error</h2>
          <ErrorBlock error={run.error} />
        </>
      ) : null}
      {run.status === "completed" ? (
        <>
          <h2>Output</h2>
          {run.outputBytes !== undefined ? (
            <KeptInR2 bytes={run.outputBytes} url={run.outputUrl} />
          ) : (
            <Json value={run.output} />
          )}
        </>
      ) : null}
      {run.metadata ? (
        <>
          <h2>Metadata</h2>
          <Json value={run.metadata} />
        </>
      ) : null}
      <h2>Steps</h2>
      <div class="panel">
        {run.steps.length === 0 ? <p class="muted">No steps yet.</p> : null}
        {run.steps.map((step) => (
          <details class="step" id={`step-${step.id}`}>
            <summary>
              <span class="mono">{step.name}</span> <span class="muted">{step.op}</span> <Status status={step.status} />{" "}
              <span class="muted">{`${step.attempts} attempt${step.attempts === 1 ? "" : "s"}${step.durationMs !== undefined ? ` · ${formatDuration(step.durationMs)}` : ""}`}</span>
            </summary>
            {step.sleepUntil ? (
              <p>
                Sleeps until <Time at={step.sleepUntil} />
              </p>
            ) : null}
            {step.retryAt ? (
              <p>
                Retries at <Time at={step.retryAt} />
              </p>
            ) : null}
            {step.wait ? <WaitsFor step={step} /> : null}
            {step.childRunIds?.length ? (
              <p>
                {step.childRunIds.length === 1 ? "Child run " : "Child runs "}
                {step.childRunIds.map((id, index) => (
                  <>
                    {index > 0 ? ", " : ""}
                    {runLink(id)}
                  </>
                ))}
              </p>
            ) : null}
            {step.tokenId && step.status === "waiting" ? (
              <p>
                Waits for <a href={`#token-${step.tokenId}`}>its wait token</a> until <Time at={step.sleepUntil} />
              </p>
            ) : null}
            {step.error ? <ErrorBlock error={step.error} /> : null}
            {step.outputBytes !== undefined ? (
              <KeptInR2 bytes={step.outputBytes} url={step.outputUrl} />
            ) : step.status === "completed" ? (
              <Json value={step.output} />
            ) : null}
            <SentEvents step={step} />
            {step.logs?.length ? <StepLogs logs={step.logs} /> : null}
            {restartable(run) ? (
              <ActionButton
                action={`/dashboard/runs/${encodeURIComponent(run.id)}/replay`}
                label="Replay from this step"
                fields={{ fromStep: step.id }}
                kind="plain"
                confirm={`Start a new run that keeps the steps before "${step.name}" and runs it and what follows again?`}
              />
            ) : null}
          </details>
        ))}
      </div>
      <RunTokens run={run} />
      <h2>{run.events.length > 1 ? `Events (${run.events.length})` : "Event"}</h2>
      {run.events.map((event, index) => (
        <details class="panel" id={`event-${event.id}`} open={run.events.length === 1}>
          <summary>
            <span class="mono">{event.name}</span>{" "}
            <a href={`/dashboard/events/${encodeURIComponent(event.id)}`} class="mono">
              {event.id}
            </a>
          </summary>
          {event.claim ? (
            <KeptInR2 bytes={event.claim.bytes} url={run.eventDataUrls?.[index] ?? undefined} what="Its data" />
          ) : (
            <Json value={event.data} />
          )}
          {index === 0 && restartable(run) ? (
            <form method="post" action={`/dashboard/runs/${encodeURIComponent(run.id)}/replay`}>
              <label>
                Replay with this data instead (every step runs again)
                <textarea name="data">{event.claim ? "{}" : JSON.stringify(event.data, null, 2)}</textarea>
              </label>
              <button type="submit" class="plain">
                Replay with edited data
              </button>
            </form>
          ) : null}
        </details>
      ))}
      <h2>History</h2>
      <table>
        <thead>
          <tr>
            <th class="num">#</th>
            <th>At (+ms)</th>
            <th>Event</th>
            <th>Step</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {history.map((entry) => (
            <tr>
              <td class="num">{entry.seq}</td>
              <td class="num mono">{`+${entry.at - created}`}</td>
              <td class="mono">{entry.type}</td>
              <td class="mono">{"name" in entry ? entry.name : ""}</td>
              <td class="mono">{entryDetail(entry)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
};

/** A step's log lines, each with its attempt, level and time. */
const StepLogs: FC<{ logs: NonNullable<RunView["steps"][number]["logs"]> }> = ({ logs }) => (
  <>
    <h3>Logs</h3>
    <ol class="logs">
      {logs.map((line) => (
        <li class={`log-${line.level}`}>
          <span class="muted">
            <Time at={line.at} />
            {` · attempt ${line.attempt + 1} · ${line.level}`}
          </span>{" "}
          <span class="mono">{line.message}</span>
        </li>
      ))}
    </ol>
  </>
);

const sentIdsSchema = z.object({ ids: z.array(z.string()).max(1_000) });

/** A send step's events, each linked to its page (where the runs it started are listed). */
const SentEvents: FC<{ step: RunView["steps"][number] }> = ({ step }) => {
  const sent = step.op === "send" ? sentIdsSchema.safeParse(step.output) : undefined;
  if (!sent?.success || sent.data.ids.length === 0) return null;
  return (
    <p>
      {"Sent "}
      {sent.data.ids.map((id, index) => (
        <>
          {index > 0 ? ", " : ""}
          <a class="mono" href={`/dashboard/events/${encodeURIComponent(id)}`}>
            {id}
          </a>
        </>
      ))}
    </p>
  );
};
