/**
 * The schedules page: schedules made at run time (`/v1/schedules`), by function and tenant, with
 * their timing, next run and the buttons that pause, resume and delete them.
 */
import type { FC } from "hono/jsx";
import type { ScheduleView } from "../../../sdk/schedules.ts";
import { ActionButton, formatDuration, Status, Time } from "../components.tsx";

const timingText = (schedule: ScheduleView): string =>
  schedule.cron !== undefined
    ? `cron ${schedule.cron} (${schedule.timezone ?? "UTC"})`
    : `every ${formatDuration(schedule.interval ?? 0)}`;

/** The filter form: a function and a tenant. */
export const ScheduleFilters: FC<{ functionId?: string | undefined; tenant?: string | undefined }> = ({
  functionId,
  tenant,
}) => (
  <form method="get" action="/dashboard/schedules" class="actions filters">
    <label>
      Function <input name="function" value={functionId ?? ""} />
    </label>
    <label>
      Tenant <input name="tenant" value={tenant ?? ""} />
    </label>
    <button type="submit" class="plain">
      Filter
    </button>
  </form>
);

/** The live part of the schedules page: one row per schedule, and the link to the next page. */
export const SchedulesBody: FC<{ schedules: ScheduleView[]; next?: string | undefined; query: string }> = ({
  schedules,
  next,
  query,
}) => (
  <>
    {schedules.length === 0 ? (
      <p class="muted">No schedules. Create them with POST /v1/schedules or stepwise.schedules.create().</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>Schedule</th>
            <th>Function</th>
            <th>When</th>
            <th>Tenant</th>
            <th>Next run</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {schedules.map((schedule) => {
            const base = `/dashboard/schedules/${encodeURIComponent(schedule.id)}`;
            return (
              <tr>
                <td class="mono">
                  {schedule.id}
                  {schedule.key ? <div class="muted">key {schedule.key}</div> : null}
                </td>
                <td>
                  <a href={`/dashboard/functions/${encodeURIComponent(schedule.functionId)}`} class="mono">
                    {schedule.functionId}
                  </a>
                </td>
                <td class="mono">{timingText(schedule)}</td>
                <td>{schedule.tenant ?? <span class="muted">—</span>}</td>
                <td>{schedule.paused ? <Status status="paused" /> : <Time at={schedule.nextRunAt} />}</td>
                <td class="actions">
                  {schedule.paused ? (
                    <ActionButton action={`${base}/resume`} label="Resume" kind="plain" />
                  ) : (
                    <ActionButton action={`${base}/pause`} label="Pause" kind="plain" />
                  )}
                  <ActionButton
                    action={`${base}/delete`}
                    label="Delete"
                    kind="danger"
                    confirm={`Delete schedule ${schedule.id}? Its runs so far stay.`}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    )}
    {next ? (
      <p>
        <a href={`/dashboard/schedules?${query}${query ? "&" : ""}cursor=${encodeURIComponent(next)}`}>Next page →</a>
      </p>
    ) : null}
  </>
);
