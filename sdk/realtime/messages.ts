/**
 * What realtime subscribers receive, for a run and for a named stream, and the limits that bound
 * them. Both the server and the browser client read these schemas.
 */
import { z } from "zod";
import { RUN_STATUSES } from "../run-status.ts";
import { runViewSchema } from "../runs.ts";

/** A stream's name: `chat/42`, `run:01J…/tokens`; letters, digits and `._:/-`, up to 200. */
export const STREAM_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;
export const streamNameSchema = z
  .string()
  .regex(STREAM_NAME_PATTERN, "a stream name is 1-200 of A-Z a-z 0-9 . _ : / -");

/** Largest JSON one published message may carry. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Most messages one publish call may carry. */
export const MAX_MESSAGES_PER_PUBLISH = 500;
/** How many of a stream's messages are kept for subscribers who come late, and for how long. */
export const STREAM_REPLAY = { messages: 1_000, ms: 24 * 3_600_000 } as const;

/** A message as a stream's subscribers receive it: its place in the stream, and when it arrived. */
export const streamMessageSchema = z.object({
  type: z.literal("message"),
  seq: z.number().int().min(1),
  /** The publisher's id, when it gave one (a durable `step.publish` derives one, so a retry is not repeated). */
  id: z.string().optional(),
  data: z.unknown(),
  at: z.number(),
});
export type StreamMessage = z.infer<typeof streamMessageSchema>;

/** What a run's subscribers receive: the run when they join, then each change as it is recorded. */
export const runMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("snapshot"), run: runViewSchema }),
  z.object({
    type: z.literal("status"),
    status: z.enum(RUN_STATUSES),
    output: z.unknown().optional(),
    /** The result is kept in R2 (too large for a message): its size; the run's view links it. */
    outputBytes: z.number().int().optional(),
    error: z.object({ name: z.string(), message: z.string() }).optional(),
  }),
  z.object({ type: z.literal("step"), step: runViewSchema.shape.steps.element }),
  z.object({ type: z.literal("metadata"), metadata: z.record(z.string(), z.unknown()) }),
]);
export type RunMessage = z.infer<typeof runMessageSchema>;

/** Sent once a stream's replay is over: what follows is live. */
export const liveMarkerSchema = z.object({ type: z.literal("live"), seq: z.number().int().min(0) });

/** Anything a subscription may receive. */
export const realtimeMessageSchema = z.union([streamMessageSchema, runMessageSchema, liveMarkerSchema]);
export type RealtimeMessage = z.infer<typeof realtimeMessageSchema>;

/** What a subscription token opens: one run, or one stream. */
export const realtimeScopeSchema = z.union([
  z.object({ run: z.string().min(1).max(200) }).strict(),
  z.object({ stream: streamNameSchema }).strict(),
]);
export type RealtimeScope = z.infer<typeof realtimeScopeSchema>;

/** Longest and default life of a subscription token, in seconds: it opens one subscription, once. */
export const TOKEN_TTL = { max: 3_600, default: 60 } as const;

/** A minted subscription token, and until when it can open its subscription. */
export const realtimeTokenSchema = z.object({ token: z.string(), expiresAt: z.string() });
export type RealtimeToken = z.infer<typeof realtimeTokenSchema>;
