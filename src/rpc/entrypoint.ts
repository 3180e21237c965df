/**
 * StepwiseRpc: what a Worker bound to Stepwise by a service binding calls over Workers RPC,
 * `env.STEPWISE.send(...)`, `invoke`, `getRun`, `listRuns`, `cancel` and `completeToken`. Every argument is
 * validated as the HTTP API validates it; a refusal is answered (./errors.ts), never thrown.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { z } from "zod";
import type {
  CancelResult,
  InvokeCallOptions,
  RescheduleResult,
  ListRunsFilter,
  RpcAnswer,
  StepwiseBinding,
  TokenCompleted,
} from "../../sdk/binding.ts";
import { completeToken } from "../core/runs/token-completion.ts";
import { tagsSchema } from "../../sdk/tags.ts";
import {
  controlView,
  pauseOptionsSchema,
  type PauseOptions,
  type PauseResult,
  type ResumeResult,
} from "../../sdk/function-control.ts";
import { controlFunction, resumeFunction } from "../core/functions/controls.ts";
import { replayOptionsSchema, type ReplayOptions, type ReplayResult } from "../../sdk/replay.ts";
import { replayRun } from "../core/runs/replay.ts";
import {
  scheduleFilterSchema,
  scheduleInputSchema,
  schedulePatchSchema,
  type ScheduleFilter,
  type ScheduleInput,
  type SchedulePage,
  type SchedulePatch,
  type ScheduleView,
} from "../../sdk/schedules.ts";
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  updateSchedule,
} from "../core/schedules/manage.ts";
import {
  MAX_MESSAGE_BYTES,
  MAX_MESSAGES_PER_PUBLISH,
  realtimeScopeSchema,
  streamNameSchema,
  TOKEN_TTL,
  type RealtimeScope,
  type RealtimeToken,
} from "../../sdk/realtime/messages.ts";
import type { OutgoingMessage } from "../../sdk/realtime/publisher.ts";
import { jsonBytes } from "../core/lib/json-size.ts";
import { publishMessages } from "../core/realtime/publish.ts";
import { ndjsonFrame, openSubscription, relay } from "../core/realtime/subscribe.ts";
import { mintToken } from "../core/realtime/tokens.ts";
import { RUN_STATUSES } from "../../sdk/run-status.ts";
import type { RunPage, RunView } from "../../sdk/runs.ts";
import { runSummary } from "../core/db/run-summary.ts";
import { decodeCursor, encodeCursor } from "../core/db/cursor.ts";
import { listRuns } from "../core/run-index/read.ts";
import type { Env } from "../core/env.ts";
import { acceptEvents } from "../core/events/accept.ts";
import { oversizedData, oversizedEvent } from "../core/events/limits.ts";
import { maxInvokeDataBytes } from "../core/payloads/event-data.ts";
import { eventBatchSchema, type EventInput } from "../core/events/schema.ts";
import { RUN_ID_PATTERN } from "../core/lib/ids.ts";
import { epochMsSchema, shallowEnough } from "../core/lib/json-shape.ts";
import { InvalidInputError, parseInput } from "../core/lib/parse.ts";
import { delayFields, startAtFrom, type DelayOptions } from "../../sdk/delay.ts";
import { getFunction } from "../core/functions/catalog.ts";
import { invokeFunction } from "../core/runs/invoke.ts";
import {
  appRegistrationFailed,
  functionNotFound,
  invalidInput,
  payloadTooLarge,
  answering,
  runConflict,
  scheduleRefused,
  runNotFound,
  subscriptionRefused,
} from "./errors.ts";
import { appTargetSchema, type AppTarget, type RegisteredApp } from "../../sdk/app-protocol.ts";
import { registerApp } from "../core/apps/register.ts";
import { runObject } from "../core/objects.ts";

const runIdSchema = z.string().regex(RUN_ID_PATTERN, "not a run id");
const functionIdSchema = z.string().min(1).max(256);
const scheduleIdSchema = z.string().min(1).max(64);

const invokeSchema = z.object({
  functionId: z.string().min(1),
  data: z
    .record(z.string(), z.unknown())
    .refine(shallowEnough.check, { error: `the data ${shallowEnough.error}` })
    .default({}),
  tags: tagsSchema.optional(),
  ...delayFields,
});
const listRunsSchema = z
  .object({
    functionId: z.string().min(1).optional(),
    status: z.enum(RUN_STATUSES).optional(),
    eventId: z.string().min(1).optional(),
    after: epochMsSchema.optional(),
    tag: z.string().min(1).max(128).optional(),
    metadataKey: z.string().min(1).max(128).optional(),
    cursor: z.string().optional(),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .strict()
  .default({ limit: 50 });

/**
 * Every method is the SDK's {@link StepwiseBinding}: it answers `{ ok: true, value }` with the
 * HTTP API's shapes (ISO times), or `{ ok: false, refusal }` with the HTTP API's code and status
 * (./errors.ts says why refusals are not thrown).
 */
export class StepwiseRpc extends WorkerEntrypoint<Env> implements StepwiseBinding {
  /** Sends one event or up to 5,000; resolves with their ids once they are safely accepted. */
  async send(events: EventInput | EventInput[]): Promise<RpcAnswer<{ ids: string[] }>> {
    return answering(async () => {
      const batch = parseInput(eventBatchSchema, events, "events");
      const tooLarge = oversizedEvent(batch, this.env);
      if (tooLarge) throw payloadTooLarge(tooLarge, "event_too_large");
      return { ids: await acceptEvents(this.env, batch, { waitUntil: (routing) => this.ctx.waitUntil(routing) }) };
    });
  }

  /** Starts a run of `functionId` with `data` as its event data. */
  async invoke(
    functionId: string,
    data?: Record<string, unknown>,
    options?: InvokeCallOptions,
  ): Promise<RpcAnswer<{ runId: string }>> {
    return answering(async () => {
      const input = parseInput(
        invokeSchema,
        { functionId, data, tags: options?.tags, delay: options?.delay, runAt: options?.runAt },
        "invoke arguments",
      );
      const when = startAtFrom(input, Date.now());
      if (!when.ok) throw new InvalidInputError(when.message);
      if (!(await getFunction(this.env, input.functionId)))
        throw functionNotFound(`No function "${input.functionId}" is registered`);
      const tooLarge = oversizedData(input.data, maxInvokeDataBytes(this.env));
      if (tooLarge) throw payloadTooLarge(tooLarge, "payload_too_large");
      return { runId: await invokeFunction(this.env, input.functionId, input.data, input.tags, when.startAt) };
    });
  }

  /** A run's status, steps and result; null when there is no such run. */
  async getRun(runId: string): Promise<RpcAnswer<RunView | null>> {
    return answering(async () => {
      const id = parseInput(runIdSchema, runId, "run id");
      return runObject(this.env, id).getRun();
    });
  }

  /** A page of the run index, newest first; pass `nextCursor` back as `cursor` for the next page. */
  async listRuns(filter?: ListRunsFilter): Promise<RpcAnswer<RunPage>> {
    return answering(async () => {
      const input = parseInput(listRunsSchema, filter, "run filter");
      const cursor = input.cursor ? decodeCursor(input.cursor) : undefined;
      if (input.cursor && !cursor)
        throw invalidInput(`Invalid run filter: cursor "${input.cursor}" is not one this API gave out`);
      const page = await listRuns(this.env, { ...input, cursor });
      return { runs: page.items.map(runSummary), ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}) };
    });
  }

  /**
   * Registers (syncs) the app reachable at `target` (usually a binding of this Worker to the
   * caller); what `serve()` calls on PUT. The binding is the permission: no signature needed.
   */
  async syncApp(target: AppTarget): Promise<RpcAnswer<RegisteredApp>> {
    return answering(async () => {
      const result = await registerApp(this.env, parseInput(appTargetSchema, target, "app target"));
      if (!result.ok) throw appRegistrationFailed(result.code, result.status, `${result.code}: ${result.message}`);
      return { app: result.app };
    });
  }

  /** Cancels a run; null when there is no such run. */
  async cancel(runId: string, reason?: string): Promise<RpcAnswer<CancelResult | null>> {
    return answering(async () => {
      const id = parseInput(runIdSchema, runId, "run id");
      return runObject(this.env, id).cancel(reason ?? "cancelled over RPC");
    });
  }

  async reschedule(runId: string, options: DelayOptions = {}): Promise<RpcAnswer<RescheduleResult | null>> {
    return answering(async () => {
      const id = parseInput(runIdSchema, runId, "run id");
      const now = Date.now();
      const when = startAtFrom(parseInput(z.object(delayFields), options ?? {}, "reschedule options"), now);
      if (!when.ok) throw new InvalidInputError(when.message);
      const result = await runObject(this.env, id).reschedule(when.startAt ?? now);
      if (!result) return null;
      if (!result.ok) throw runConflict(result.refusal.code, result.refusal.message);
      return { runId: id, startAt: result.startAt };
    });
  }

  async replay(runId: string, options?: ReplayOptions): Promise<RpcAnswer<ReplayResult>> {
    return answering(async () => {
      const id = parseInput(runIdSchema, runId, "run id");
      const result = await replayRun(this.env, id, parseInput(replayOptionsSchema, options ?? {}, "replay options"));
      if (result.ok) return { runId: result.runId, replayOf: id };
      if (result.notFound) throw runNotFound(result.message);
      if (result.invalid) throw invalidInput(result.message);
      throw runConflict("not_replayable", result.message);
    });
  }

  async pauseFunction(functionId: string, options?: PauseOptions): Promise<RpcAnswer<PauseResult>> {
    return answering(async () => {
      const id = parseInput(functionIdSchema, functionId, "function id");
      const { drain, reason } = parseInput(pauseOptionsSchema, options ?? {}, "pause options");
      if (!(await getFunction(this.env, id))) throw functionNotFound(`No function "${id}" is registered`);
      return {
        functionId: id,
        control: controlView(await controlFunction(this.env, id, drain ? "draining" : "paused", reason)),
      };
    });
  }

  async resumeFunction(functionId: string): Promise<RpcAnswer<ResumeResult>> {
    return answering(async () => {
      const id = parseInput(functionIdSchema, functionId, "function id");
      if (!(await getFunction(this.env, id))) throw functionNotFound(`No function "${id}" is registered`);
      return { functionId: id, ...(await resumeFunction(this.env, id)) };
    });
  }

  async createSchedule(input: ScheduleInput): Promise<RpcAnswer<{ schedule: ScheduleView; created: boolean }>> {
    return answering(async () => {
      const schedule = parseInput(scheduleInputSchema, input, "schedule");
      if (!(await getFunction(this.env, schedule.functionId)))
        throw functionNotFound(`No function "${schedule.functionId}" is registered`);
      const result = await createSchedule(this.env, schedule);
      if (!result.ok) throw scheduleRefused(result.refusal);
      return result.value;
    });
  }

  async getSchedule(id: string): Promise<RpcAnswer<ScheduleView | null>> {
    return answering(
      async () => (await getSchedule(this.env, parseInput(scheduleIdSchema, id, "schedule id"))) ?? null,
    );
  }

  async listSchedules(filter?: ScheduleFilter): Promise<RpcAnswer<SchedulePage>> {
    return answering(async () => {
      const { cursor, ...rest } = parseInput(scheduleFilterSchema, filter ?? {}, "schedule filter");
      const page = await listSchedules(this.env, { ...rest, after: cursor });
      return { schedules: page.schedules, ...(page.next ? { nextCursor: page.next } : {}) };
    });
  }

  async updateSchedule(id: string, patch: SchedulePatch): Promise<RpcAnswer<ScheduleView>> {
    return answering(async () => {
      const scheduleId = parseInput(scheduleIdSchema, id, "schedule id");
      const result = await updateSchedule(
        this.env,
        scheduleId,
        parseInput(schedulePatchSchema, patch, "schedule change"),
      );
      if (!result.ok) throw scheduleRefused(result.refusal);
      return result.value;
    });
  }

  async deleteSchedule(id: string): Promise<RpcAnswer<{ id: string; deleted: boolean }>> {
    return answering(async () => {
      const scheduleId = parseInput(scheduleIdSchema, id, "schedule id");
      return { id: scheduleId, deleted: await deleteSchedule(this.env, scheduleId) };
    });
  }

  async completeToken(tokenId: string, data?: unknown): Promise<RpcAnswer<TokenCompleted>> {
    const refuse = (message: string) => ({ ok: false as const, refusal: invalidInput(message).refusal });
    if (typeof tokenId !== "string") return refuse("A wait token id must be a string");
    let text: string;
    try {
      text = JSON.stringify(data ?? null);
    } catch (error) {
      return refuse(
        `A token completion's data must be JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return completeToken(this.env, tokenId, text, null, true);
  }

  async realtimeToken(scope: RealtimeScope, ttlSeconds?: number): Promise<RpcAnswer<RealtimeToken>> {
    return answering(async () => {
      const checked = parseInput(realtimeScopeSchema, scope, "realtime scope");
      const ttl = parseInput(z.number().int().min(1).max(TOKEN_TTL.max).optional(), ttlSeconds, "ttlSeconds");
      return mintToken(this.env, checked, ttl);
    });
  }

  async publish(stream: string, messages: OutgoingMessage[]): Promise<RpcAnswer<{ seqs: number[] }>> {
    return answering(async () => {
      const name = parseInput(streamNameSchema, stream, "stream name");
      const list = parseInput(outgoingSchema, messages, "messages");
      const big = list.find((message) => jsonBytes(message.data ?? null) > MAX_MESSAGE_BYTES);
      if (big) throw payloadTooLarge(`A message is over ${MAX_MESSAGE_BYTES} bytes of JSON`, "payload_too_large");
      return publishMessages(this.env, name, list);
    });
  }

  async subscribe(scope: RealtimeScope, after?: number): Promise<RpcAnswer<ReadableStream<Uint8Array>>> {
    return answering(async () => {
      const checked = parseInput(realtimeScopeSchema, scope, "realtime scope");
      const from = parseInput(z.number().int().min(0).optional(), after, "after");
      // The binding is the permission: a nonce of its own, taken once like any token's.
      const { nonce, expiresAt } = { nonce: crypto.randomUUID().replace(/-/g, ""), expiresAt: Date.now() + 60_000 };
      const opened = await openSubscription(this.env, { scope: checked, nonce, expiresAt, after: from });
      if (!opened.webSocket) throw subscriptionRefused(opened.status, await opened.text());
      return relay(opened.webSocket, ndjsonFrame);
    });
  }
}

const outgoingSchema = z
  .array(z.object({ id: z.string().min(1).max(300).optional(), data: z.unknown() }).strict())
  .min(1)
  .max(MAX_MESSAGES_PER_PUBLISH);
