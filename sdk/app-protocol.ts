/**
 * The part of the protocol between Stepwise and an app that serves functions (`serve()`): what
 * the app says it serves (its manifest, on GET), how an app asks to be registered (its sync),
 * and the errors it answers with. Like protocol.ts, the only definition of these shapes.
 */
import { z } from "zod";
import { PROTOCOL_VERSION } from "./protocol.ts";

/** Most functions one app may serve. */
const MAX_APP_FUNCTIONS = 200;

/** One function as an app describes it; Stepwise validates `config` and `triggers` as for embedded functions. */
const functionManifestSchema = z.object({
  id: z.string().min(1).max(200),
  config: z.record(z.string(), z.unknown()),
  triggers: z.array(z.unknown()),
});
export type FunctionManifest = z.infer<typeof functionManifestSchema>;

/**
 * What an app's SDK can do beyond the protocol's base, named in its manifest. `run-steps`: it
 * runs the planned steps of a request's `runSteps` together and answers with every outcome.
 */
export const APP_FEATURES = ["run-steps"] as const;
export type AppFeature = (typeof APP_FEATURES)[number];
/** Features a newer SDK names that this Stepwise does not know are ignored, not refused. */
const featuresSchema = z
  .array(z.string().max(64))
  .max(32)
  .transform((names) => names.filter((name): name is AppFeature => (APP_FEATURES as readonly string[]).includes(name)));

/** What an app answers to GET: who it is, what it serves and what its SDK can do. */
export const appManifestSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  appId: z.string().min(1).max(128),
  sdk: z.string().max(64),
  features: featuresSchema.optional(),
  functions: z.array(functionManifestSchema).max(MAX_APP_FUNCTIONS),
});
export type AppManifest = z.infer<typeof appManifestSchema>;

/** An app served by the official `inngest` SDK: Stepwise speaks Inngest's protocol to it. */
const protocolSchema = z.literal("inngest").optional();
/**
 * An Inngest app that reaches this Stepwise at its INNGEST_BASE_URL: its SDK may then checkpoint,
 * running step after step in one call and reporting each to `POST /v1/checkpoint/:runId/async`.
 * An app's own sync (`/fn/register`) proves it and sets it; give it for an app synced in band.
 */
const checkpointSchema = z.boolean().optional();

/**
 * Where Stepwise reaches an app: a service binding of the Stepwise Worker (and the path the app
 * serves at, "/" when absent), or an HTTP(S) URL; `protocol: "inngest"` for an Inngest app.
 */
export const appTargetSchema = z
  .union([
    z
      .object({
        binding: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "a binding name from wrangler.toml, like APP_WORKER"),
        path: z
          .string()
          .regex(/^\/[\w\-./~%]*$/, 'a path like "/api/stepwise"')
          .max(512)
          .optional(),
        protocol: protocolSchema,
        checkpoint: checkpointSchema,
      })
      .strict(),
    z
      .object({
        url: z.url({ protocol: /^https?$/, error: "an http:// or https:// URL" }).max(2048),
        protocol: protocolSchema,
        checkpoint: checkpointSchema,
      })
      .strict(),
  ])
  .refine((target) => !target.checkpoint || target.protocol === "inngest", {
    error: 'checkpoint is for Inngest apps (protocol: "inngest")',
    path: ["checkpoint"],
  });
export type AppTarget = z.infer<typeof appTargetSchema>;

/** Codes an app answers with when it cannot run a request. */
const APP_ERROR_CODES = [
  "unauthorized",
  "invalid_request",
  "function_not_found",
  "method_not_allowed",
  "not_configured",
] as const;
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

/** An app's error answer. */
export const appErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type AppError = z.infer<typeof appErrorSchema>;

/** What Stepwise answers to a registration: the app and its functions as stored. */
export const registeredAppSchema = z.object({
  app: z.object({ id: z.string(), target: appTargetSchema, functions: z.array(z.string()), syncedAt: z.string() }),
});
export type RegisteredApp = z.infer<typeof registeredAppSchema>;
