/**
 * `stepwise.schedules`: schedules made at run time, over the binding or the HTTP API (an API key),
 * answering the same shapes and refusing with the same codes ({@link StepwiseRefusedError}).
 */
import { bindingValueSchemas } from "./binding.ts";
import { overBinding, overHttp } from "./calls.ts";
import { StepwiseRefusedError, unwrapResponse } from "./refusal.ts";
import type { ScheduleFilter, ScheduleInput, SchedulePage, SchedulePatch, ScheduleView } from "./schedules.ts";
import type { StepwiseTarget } from "./send.ts";

const path = (id = "", action = ""): string => `/v1/schedules${id ? `/${encodeURIComponent(id)}` : ""}${action}`;

/** Schedules per user or tenant: each starts runs of one function on a cron or an interval. */
export class Schedules {
  constructor(private readonly reach: (what: string) => StepwiseTarget) {}

  /**
   * Creates a schedule; with a `key` already used, that schedule becomes this one (`created: false`).
   *
   * @example
   * ```ts
   * await stepwise.schedules.create({
   *   functionId: "weekly-digest",
   *   cron: "0 9 * * MON",
   *   timezone: user.timezone,
   *   tenant: user.id,
   *   key: `digest-${user.id}`,
   *   data: { userId: user.id },
   * });
   * ```
   */
  async create(input: ScheduleInput): Promise<{ schedule: ScheduleView; created: boolean }> {
    const target = this.reach("create a schedule");
    if ("binding" in target)
      return overBinding(() => target.binding.createSchedule(input), bindingValueSchemas.createSchedule);
    const response = await overHttp(target, "POST", path(), input);
    const schedule = await unwrapResponse(response, bindingValueSchemas.getSchedule.unwrap());
    return { schedule, created: response.status === 201 };
  }

  /** One schedule with its next and last ticks; null when there is no such schedule. */
  async get(id: string): Promise<ScheduleView | null> {
    const target = this.reach("read a schedule");
    if ("binding" in target) return overBinding(() => target.binding.getSchedule(id), bindingValueSchemas.getSchedule);
    return orNull(unwrapResponse(await overHttp(target, "GET", path(id)), bindingValueSchemas.getSchedule.unwrap()));
  }

  /** A page of schedules by id, of a function and/or a tenant; pass `nextCursor` back as `cursor`. */
  async list(filter: ScheduleFilter = {}): Promise<SchedulePage> {
    const target = this.reach("list schedules");
    if ("binding" in target)
      return overBinding(() => target.binding.listSchedules(filter), bindingValueSchemas.listSchedules);
    const query = new URLSearchParams();
    if (filter.functionId !== undefined) query.set("function", filter.functionId);
    if (filter.tenant !== undefined) query.set("tenant", filter.tenant);
    if (filter.cursor !== undefined) query.set("cursor", filter.cursor);
    if (filter.limit !== undefined) query.set("limit", String(filter.limit));
    return unwrapResponse(await overHttp(target, "GET", `${path()}?${query}`), bindingValueSchemas.listSchedules);
  }

  /** Changes a schedule's timing (a new `cron` or `interval` replaces it), data or paused state. */
  async update(id: string, patch: SchedulePatch): Promise<ScheduleView> {
    const target = this.reach("change a schedule");
    if ("binding" in target)
      return overBinding(() => target.binding.updateSchedule(id, patch), bindingValueSchemas.updateSchedule);
    return unwrapResponse(await overHttp(target, "PATCH", path(id), patch), bindingValueSchemas.updateSchedule);
  }

  /** Pauses a schedule: no ticks until resumed. */
  async pause(id: string): Promise<ScheduleView> {
    return this.update(id, { paused: true });
  }

  /** Resumes a schedule from now (the ticks it was paused for are not run). */
  async resume(id: string): Promise<ScheduleView> {
    return this.update(id, { paused: false });
  }

  /** Deletes a schedule; false when there was none. */
  async delete(id: string): Promise<boolean> {
    const target = this.reach("delete a schedule");
    if ("binding" in target)
      return (await overBinding(() => target.binding.deleteSchedule(id), bindingValueSchemas.deleteSchedule)).deleted;
    const answer = orNull(
      unwrapResponse(await overHttp(target, "DELETE", path(id)), bindingValueSchemas.deleteSchedule),
    );
    return (await answer)?.deleted ?? false;
  }
}

/** An answer where 404 `schedule_not_found` means "no such schedule" (null), not a refusal. */
async function orNull<T>(answer: Promise<T>): Promise<T | null> {
  try {
    return await answer;
  } catch (error) {
    if (error instanceof StepwiseRefusedError && error.code === "schedule_not_found") return null;
    throw error;
  }
}
