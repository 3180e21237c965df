/**
 * An app asking Stepwise to register it: over the service binding (RPC `syncApp`; the binding is
 * the permission) or over HTTPS (`POST /v1/apps/sync`, signed with the signing key). Stepwise
 * then reads the app's manifest itself, so what it stores is what the app really serves.
 */
import type { AppTarget } from "./app-protocol.ts";
import type { EventTarget } from "./send.ts";
import { sign, SIGNATURE_HEADER } from "./signing.ts";

/** Stepwise's answer to a sync: its status and body (the registered app, or an error). */
export interface SyncResult {
  status: number;
  body: unknown;
}

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** Registers the app at `target` with the Stepwise that `through` reaches. */
export async function syncApp(through: EventTarget, target: AppTarget, signingKey: string): Promise<SyncResult> {
  if ("binding" in through) {
    if (!through.binding.syncApp) return { status: 500, body: { error: { code: "not_supported", message: "This Stepwise binding has no syncApp method" } } };
    try {
      return { status: 200, body: await through.binding.syncApp(target) };
    } catch (error) {
      return { status: 502, body: { error: { code: "sync_failed", message: describe(error) } } };
    }
  }
  const body = JSON.stringify(target);
  const doFetch = through.fetch ?? fetch;
  try {
    const response = await doFetch(new URL("/v1/apps/sync", through.baseUrl).toString(), {
      method: "POST",
      headers: { "content-type": "application/json", [SIGNATURE_HEADER]: await sign(body, signingKey, Date.now(), { request: "POST" }) },
      body,
    });
    return { status: response.status, body: await response.json().catch(() => ({ error: { code: "bad_answer", message: `Stepwise answered ${response.status} without JSON` } })) };
  } catch (error) {
    return { status: 502, body: { error: { code: "unreachable", message: `Could not reach Stepwise at ${through.baseUrl}: ${describe(error)}` } } };
  }
}
