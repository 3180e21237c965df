/**
 * The Stepwise Worker's entry point: the HTTP API and the Durable Object classes, with the
 * example functions registered so `npm run dev` has something to run.
 */
import { examples } from "../examples/index.ts";
import { app } from "./api/app.ts";
import type { Env } from "./env.ts";
import { registry } from "./registry.ts";

export { RunObject } from "../durable-objects/run/run-object.ts";
export { RunIndexBuffer } from "../durable-objects/run-index/run-index-buffer.ts";

registry.register(...examples);

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
