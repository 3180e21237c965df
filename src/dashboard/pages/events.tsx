/**
 * The events pages: recent events with their payloads and the runs each started, a form to send
 * a test event, and one event with its runs (live, so a sent event's runs appear as they start).
 */
import type { FC } from "hono/jsx";
import { encodeCursor, type Cursor } from "../../core/db/cursor.ts";
import type { EventSummary } from "../../core/events/schema.ts";
import type { RunIndexRow } from "../../core/db/runs.ts";
import type { StoredEvent } from "../../core/events/schema.ts";
import { MAX_SWEEPS } from "../../core/events/schema.ts";
import { formatBytes } from "../../core/lib/json-size.ts";
import { ActionButton, Json, KeptInR2, Notice, Status, Time } from "../components.tsx";
import { RunTable } from "./runs.tsx";

/** What the send form held, to show it again when it was refused. */
export interface SendForm {
  name: string;
  data: string;
}

/** The form that sends a test event through the same path as `POST /v1/events`. */
export const SendEventForm: FC<{
  form?: SendForm | undefined;
  error?: string | undefined;
  issues?: string[] | undefined;
}> = ({ form, error, issues }) => (
  <details class="panel" open={error !== undefined}>
    <summary>
      <strong>Send a test event</strong>
    </summary>
    <Notice text={error} error issues={issues} />
    <form method="post" action="/dashboard/events/send">
      <label>
        Name
        <input name="name" required value={form?.name ?? ""} placeholder="order/placed" />
      </label>
      <label>
        Data (a JSON object)
        <textarea name="data">{form?.data ?? "{}"}</textarea>
      </label>
      <button type="submit">Send event</button>
    </form>
  </details>
);

/** The live part of the events list. */
export const EventsBody: FC<{
  events: EventSummary[];
  runs: Map<string, RunIndexRow[]>;
  next: Cursor | undefined;
  name: string | undefined;
}> = ({ events, runs, next, name }) => (
  <>
    {events.length === 0 ? <p class="panel muted">No events yet.</p> : null}
    {events.length > 0 ? (
      <table>
        <thead>
          <tr>
            <th>Event</th>
            <th>Id</th>
            <th>Received (UTC)</th>
            <th>Runs</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr>
              <td>
                <details id={`payload-${event.id}`}>
                  <summary class="mono">{event.name}</summary>
                  {event.payloadOmitted ? (
                    <p class="muted">
                      {formatBytes(event.dataBytes)} of data:{" "}
                      <a href={`/dashboard/events/${encodeURIComponent(event.id)}`}>open the event</a>
                    </p>
                  ) : (
                    <Json value={event.data} />
                  )}
                </details>
              </td>
              <td>
                <a class="mono" href={`/dashboard/events/${encodeURIComponent(event.id)}`}>
                  {event.id}
                </a>
              </td>
              <td>
                <Time at={event.receivedAt} />
              </td>
              <td>
                {(runs.get(event.id) ?? []).map((run) => (
                  <div>
                    <Status status={run.status} />{" "}
                    <a class="mono" href={`/dashboard/runs/${encodeURIComponent(run.id)}`}>
                      {run.functionId}
                    </a>
                  </div>
                ))}
                {event.routedAt === undefined ? (
                  <span class="muted">routing…</span>
                ) : (runs.get(event.id) ?? []).length === 0 ? (
                  <span class="muted">none</span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    ) : null}
    <div class="pager">
      {next ? (
        <a
          href={`/dashboard/events?${new URLSearchParams({ ...(name ? { name } : {}), cursor: encodeCursor(next) }).toString()}`}
        >
          Older →
        </a>
      ) : null}
    </div>
  </>
);

/** The live part of one event's page. */
export const EventBody: FC<{
  event: StoredEvent;
  runs: RunIndexRow[];
  effects: { runId: string; kind: "resumed" | "cancelled"; at: number }[];
  now: number;
  dataUrl?: string | undefined;
}> = ({ event, runs, effects, now, dataUrl }) => (
  <>
    {event.routeError !== undefined || event.routingAbandoned ? (
      <div class="notice error actions" role="alert">
        <span>
          {event.routingAbandoned ? `Routing was given up after ${MAX_SWEEPS} tries` : "Routing failed; it is retried"}
          {event.routeError ? `: ${event.routeError}` : "."}
        </span>
        <ActionButton
          action={`/dashboard/events/${encodeURIComponent(event.id)}/reroute`}
          label="Route again"
          kind="plain"
        />
      </div>
    ) : null}
    <div class="panel">
      <h1 class="mono">{event.name}</h1>
      <p class="sub mono">{event.id}</p>
      <dl class="meta">
        <div>
          <dt>Received</dt>
          <dd>
            <Time at={event.receivedAt} />
          </dd>
        </div>
        <div>
          <dt>Event time</dt>
          <dd>
            <Time at={event.ts} />
          </dd>
        </div>
        <div>
          <dt>Routed</dt>
          <dd>{event.routedAt === undefined ? "not yet" : <Time at={event.routedAt} />}</dd>
        </div>
      </dl>
      <h2>Data</h2>
      {event.claim ? <KeptInR2 bytes={event.claim.bytes} url={dataUrl} what="The data" /> : <Json value={event.data} />}
      {event.user ? (
        <>
          <h2>User</h2>
          <Json value={event.user} />
        </>
      ) : null}
    </div>
    <h2>{`Runs it started (${runs.length})`}</h2>
    <RunTable
      runs={runs}
      now={now}
      empty={event.routedAt === undefined ? "Routing the event…" : "This event started no runs."}
    />
    {effects.length > 0 ? (
      <>
        <h2>{`Runs it resumed or cancelled (${effects.length})`}</h2>
        <table>
          <thead>
            <tr>
              <th>Run</th>
              <th>What the event did</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {effects.map((effect) => (
              <tr>
                <td>
                  <a href={`/dashboard/runs/${encodeURIComponent(effect.runId)}`} class="mono">
                    {effect.runId}
                  </a>
                </td>
                <td>{effect.kind === "resumed" ? "resumed a step waiting for it" : "cancelled the run (cancelOn)"}</td>
                <td>
                  <Time at={effect.at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </>
    ) : null}
  </>
);
