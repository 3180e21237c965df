/**
 * Pausing and draining a function, as callers ask for it and see it (HTTP, the binding, the
 * client). Paused: new runs are held and running runs hold at their next step. Draining: new runs
 * are held, running ones finish. Resuming releases every held run; a cron tick while paused or
 * draining is skipped, not kept for later.
 */
import { z } from "zod";

/** The controls an operator can put on a function. */
export const CONTROL_MODES = ["paused", "draining"] as const;
export type ControlMode = (typeof CONTROL_MODES)[number];

/** The longest reason an operator may give, in characters. */
export const MAX_CONTROL_REASON = 500;

/** What a pause asks for: `drain` to let running runs finish; a `reason` shown on held runs. */
export const pauseOptionsSchema = z
  .object({
    drain: z.boolean().default(false),
    reason: z.string().trim().min(1).max(MAX_CONTROL_REASON).optional(),
  })
  .strict();
export type PauseOptions = z.input<typeof pauseOptionsSchema>;

/** A function's control as callers see it; null on a function that runs as usual. */
export const functionControlSchema = z
  .object({ mode: z.enum(CONTROL_MODES), since: z.iso.datetime(), reason: z.string().nullable() })
  .nullable();
export type FunctionControlView = z.infer<typeof functionControlSchema>;

/** What a pause answers: the function and its control now. */
export const pausedSchema = z.object({ functionId: z.string(), control: functionControlSchema.unwrap() });
export type PauseResult = z.infer<typeof pausedSchema>;

/** What a resume answers: whether it was paused or draining, and the job releasing its held runs (`GET /v1/bulk/:id`). */
export const resumedSchema = z.object({ functionId: z.string(), resumed: z.boolean(), jobId: z.string().optional() });
export type ResumeResult = z.infer<typeof resumedSchema>;

/** A control as the catalogue keeps it (`since` in epoch ms). */
interface StoredControl {
  mode: ControlMode;
  since: number;
  reason?: string;
}

/** A control as callers see it. */
export function controlView(control: StoredControl): NonNullable<FunctionControlView>;
export function controlView(control: StoredControl | undefined): FunctionControlView;
export function controlView(control: StoredControl | undefined): FunctionControlView {
  return control
    ? { mode: control.mode, since: new Date(control.since).toISOString(), reason: control.reason ?? null }
    : null;
}
