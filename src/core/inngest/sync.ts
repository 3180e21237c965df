/**
 * Syncing an app served by the official `inngest` SDK, both ways Inngest does it
 * (../shared/INNGEST-PROTOCOL.md §1.2, §1.4):
 *
 * - in band: Stepwise `PUT`s the app (`x-inngest-sync-kind: in_band`, signed) and reads its
 *   functions from the signed answer. `POST /v1/apps` with `protocol: "inngest"` does this; it is
 *   the way for apps on Cloudflare, whose own sync URL ignores Worker bindings.
 * - out of band: the app `POST`s its functions to `/fn/register` at Stepwise's origin, proving
 *   its signing key with a Bearer token; a `PUT` to the app starts it, as with Inngest's server.
 *
 * Either way each function is mapped onto Stepwise's config (config.ts) and the app is stored as
 * any app is (store.ts). Without INNGEST_SIGNING_KEY, a development Stepwise speaks Inngest's dev
 * mode (unsigned, for apps run with INNGEST_DEV=1); a deployed one refuses.
 */
import { z } from "zod";
import type { AppTarget } from "../../../sdk/app-protocol.ts";
import { refuse, storeApp, type RegisterResult } from "../apps/store.ts";
import { appTarget } from "../db/apps.ts";
import type { Env } from "../env.ts";
import { unsafeAppUrl } from "../lib/app-url.ts";
import { AppCallError, appUrl, bindingNamed, fetchApp } from "../transport/app-call.ts";
import { mapInngestFunction, type MappedFunction } from "./config.ts";
import { bearerAccepted, canonicalJson, signInngest, verifyInngest } from "./signing.ts";

/** An Inngest signing key: its prefix, then hex (even, at least 128 bits), as Inngest issues them. */
const INNGEST_KEY = /^(signkey-\w+-)?([0-9a-fA-F]{2}){16,}$/;

/** How Stepwise speaks to Inngest apps: signed with its keys, unsigned (dev), or not at all. */
export type InngestMode = { kind: "cloud"; keys: string[] } | { kind: "dev" } | { kind: "unconfigured"; why: string };

/** This Stepwise's Inngest mode, from INNGEST_SIGNING_KEY (and its fallback) and STEPWISE_ENV. */
export function inngestMode(env: Env): InngestMode {
  const keys = [env.INNGEST_SIGNING_KEY, env.INNGEST_SIGNING_KEY_FALLBACK].filter(
    (key): key is string => key !== undefined && key.trim() !== "",
  );
  if (env.INNGEST_SIGNING_KEY?.trim()) {
    const bad = keys.find((key) => !INNGEST_KEY.test(key));
    if (bad !== undefined) {
      return {
        kind: "unconfigured",
        why: "INNGEST_SIGNING_KEY (or its fallback) is not an Inngest signing key: signkey-<env>- followed by at least 32 hex digits, an even number",
      };
    }
    return { kind: "cloud", keys };
  }
  if (env.STEPWISE_ENV === "development") return { kind: "dev" };
  return {
    kind: "unconfigured",
    why: "This Stepwise has no INNGEST_SIGNING_KEY, so it cannot trust Inngest apps: set it to the key the apps hold (wrangler secret put INNGEST_SIGNING_KEY)",
  };
}

/** The functions an Inngest app reports, in its in-band answer or its own sync. */
const inBandAnswerSchema = z.looseObject({
  app_id: z.string().min(1),
  sdk: z.string().default("inngest"),
  functions: z.array(z.unknown()).max(1_000),
});
const registerBodySchema = z.looseObject({
  url: z.url(),
  appName: z.string().min(1),
  sdk: z.string().default("inngest"),
  functions: z.array(z.unknown()).max(1_000),
});

/** Every function mapped, or all the reasons some cannot run here. */
function mapAll(functions: unknown[]): { ok: true; functions: MappedFunction[] } | { ok: false; message: string } {
  const mapped = functions.map((fn) => mapInngestFunction(fn));
  const refusals = mapped.flatMap((result) => (result.ok ? [] : result.refusals));
  if (refusals.length > 0) return { ok: false, message: refusals.join("; ") };
  return { ok: true, functions: mapped.flatMap((result) => (result.ok ? [result.fn] : [])) };
}

/** The app's URL without the query Inngest adds per deploy or per function. */
function servedUrl(url: string): string {
  const parsed = new URL(url);
  for (const key of ["deployId", "fnId", "stepId"]) parsed.searchParams.delete(key);
  return parsed.toString();
}

/** Syncs the Inngest app at `target` in band: asks it for its functions and stores them. */
export async function syncInngestApp(env: Env, target: AppTarget, now = Date.now()): Promise<RegisterResult> {
  const mode = inngestMode(env);
  if (mode.kind === "unconfigured") return refuse(503, "signing_key_not_configured", mode.why);
  if ("binding" in target && !bindingNamed(env, target.binding)) {
    return refuse(
      400,
      "unknown_binding",
      `This Stepwise Worker has no service binding "${target.binding}": add it under [[services]] in wrangler.toml`,
    );
  }
  const unsafe = "url" in target && env.STEPWISE_ENV !== "development" ? unsafeAppUrl(target.url) : null;
  if (unsafe)
    return refuse(400, "app_url_refused", `Stepwise will not call ${appUrl(target).slice(0, 300)}: ${unsafe}`);
  const body = canonicalJson({ url: appUrl(target) });
  const headers: Record<string, string> = {
    // The SDK's Cloudflare adapter resolves its URL against the Host header, which a call through
    // a service binding does not carry by itself.
    host: new URL(appUrl(target)).host,
    "content-type": "application/json",
    "x-inngest-sync-kind": "in_band",
    "x-inngest-server-kind": mode.kind === "cloud" ? "cloud" : "dev",
  };
  const [key] = mode.kind === "cloud" ? mode.keys : [];
  if (key) headers["x-inngest-signature"] = await signInngest(body, key, now);
  let answer: Response;
  try {
    answer = await fetchApp(env, target, { method: "PUT", headers, body });
  } catch (error) {
    const notConfigured = error instanceof AppCallError && error.kind === "not_configured";
    return refuse(
      notConfigured ? 400 : 502,
      notConfigured ? "app_url_refused" : "app_unreachable",
      error instanceof Error ? error.message : String(error),
    );
  }
  const text = await answer.text();
  if (answer.status !== 200) {
    const hint =
      answer.status === 401
        ? " (does the app hold this Stepwise's INNGEST_SIGNING_KEY, or run with INNGEST_DEV=1 while Stepwise has none?)"
        : "";
    return refuse(
      502,
      "app_refused",
      `The Inngest app answered ${answer.status} to Stepwise's sync${hint}: ${text.slice(0, 300)}`,
    );
  }
  if (answer.headers.get("x-inngest-sync-kind") !== "in_band") {
    return refuse(
      502,
      "app_synced_out_of_band",
      `The Inngest app does not take in-band syncs (INNGEST_ALLOW_IN_BAND_SYNC=false?); it answered: ${text.slice(0, 300)}`,
    );
  }
  if (mode.kind === "cloud") {
    const refused = await verifyInngest(answer.headers.get("x-inngest-signature"), text, mode.keys, Date.now());
    if (refused)
      return refuse(502, "app_unsigned", `The Inngest app's answer is not signed with this Stepwise's key: ${refused}`);
  }
  let parsed: z.infer<typeof inBandAnswerSchema>;
  try {
    parsed = inBandAnswerSchema.parse(JSON.parse(text));
  } catch (error) {
    return refuse(
      502,
      "app_malformed",
      `The Inngest app's sync answer is malformed: ${error instanceof z.ZodError ? z.prettifyError(error) : String(error)}`,
    );
  }
  const mapped = mapAll(parsed.functions);
  if (!mapped.ok) return refuse(400, "invalid_function", mapped.message);
  return storeApp(
    env,
    { id: parsed.app_id, target: { ...target, protocol: "inngest" }, sdk: parsed.sdk },
    mapped.functions,
    now,
  );
}

/**
 * The app's own sync (`POST /fn/register`): its Bearer token must prove the signing key (any
 * token in dev mode, as Inngest's dev server takes), then its functions are stored; the app is
 * called back at the URL it gives.
 */
export async function registerInngestApp(
  env: Env,
  authorization: string | null,
  body: unknown,
  now = Date.now(),
): Promise<RegisterResult> {
  const mode = inngestMode(env);
  if (mode.kind === "unconfigured") return refuse(503, "signing_key_not_configured", mode.why);
  if (mode.kind === "cloud" && !(await bearerAccepted(authorization, mode.keys))) {
    return refuse(401, "unauthorized", "The sync's Bearer token does not prove this Stepwise's INNGEST_SIGNING_KEY");
  }
  const parsed = registerBodySchema.safeParse(body);
  if (!parsed.success)
    return refuse(400, "invalid_request", `Not an Inngest sync: ${z.prettifyError(parsed.error)}`, parsed.error.issues);
  const url = servedUrl(parsed.data.url);
  const unsafe = env.STEPWISE_ENV !== "development" ? unsafeAppUrl(url) : null;
  if (unsafe) return refuse(400, "app_url_refused", `Stepwise will not call ${url.slice(0, 300)}: ${unsafe}`);
  const mapped = mapAll(parsed.data.functions);
  if (!mapped.ok) return refuse(400, "invalid_function", mapped.message);
  // An app Stepwise reaches through a binding keeps it: the URL it reports is the one it was called at.
  const known = await appTarget(env.DB, parsed.data.appName);
  // The Inngest key speaks for Inngest apps only: it never re-points an app of Stepwise's own protocol.
  if (known && known.protocol !== "inngest") {
    return refuse(409, "app_id_taken", `App id "${parsed.data.appName}" belongs to an app that is not an Inngest app`);
  }
  // It reached Stepwise to sync, at the base URL its checkpoints go to: it may checkpoint.
  const target: AppTarget =
    known && "binding" in known && known.protocol === "inngest"
      ? { ...known, checkpoint: true }
      : { url, protocol: "inngest", checkpoint: true };
  return storeApp(env, { id: parsed.data.appName, target, sdk: parsed.data.sdk }, mapped.functions, now);
}
