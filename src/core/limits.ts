/**
 * Limits every run is held to. Stated in the README; each is enforced with an error that names
 * the step and the limit.
 */

/** Largest JSON result a step (or the function) may return (part of the protocol, so the SDK knows it). */
export { MAX_STEP_OUTPUT_BYTES } from "../../sdk/protocol.ts";
/** Most steps one run may have, counting every repeat of a step id. */
export const MAX_STEPS_PER_RUN = 10_000;
/** Largest event payload (`data`) a run may be started with. */
export const MAX_EVENT_BYTES = 512 * 1024;
