/**
 * An app asking Stepwise to register it: over the service binding (RPC `syncApp`; the binding is
 * the permission) or over HTTPS (`POST /v1/apps/sync`, signed with the signing key). Stepwise
 * then reads the app's manifest itself, so what it stores is what the app really serves.
 */
import type { AppTarget } from "./app-protocol.ts";
import { answerSchema } from "./binding.ts";
import { registeredAppSchema } from "./app-protocol.ts";
import type { StepwiseTarget } from "./send.ts";
import { sign, SIGNATURE_HEADER } from "./signing.ts";

/** Stepwise's answer to a sync: its status and body (the registered app, or an error). */
export interface SyncResult {
  status: number;
  body: unknown;
}

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** Registers the app at `target` with the Stepwise that `through` reaches. */
export async function syncApp(through: StepwiseTarget, target: AppTarget, signingKey: string): Promise<SyncResult> {
  if ("binding" in through) {
    let answer: unknown;
    try {
      answer = await through.binding.syncApp(target);
    } catch (error) {
      return { status: 502, body: { error: { code: "sync_failed", message: describe(error) } } };
    }
    const parsed = answerSchema(registeredAppSchema).safeParse(answer);
    if (!parsed.success)
      return {
        status: 502,
        body: { error: { code: "bad_answer", message: "Stepwise answered the sync with something unexpected" } },
      };
    if (!parsed.data.ok) {
      const { code, status, message } = parsed.data.refusal;
      return { status, body: { error: { code, message } } };
    }
    return { status: 200, body: parsed.data.value };
  }
  const body = JSON.stringify(target);
  const doFetch = through.fetch ?? fetch;
  try {
    const response = await doFetch(new URL("/v1/apps/sync", through.baseUrl).toString(), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [SIGNATURE_HEADER]: await sign(body, signingKey, Date.now(), { request: "POST" }),
      },
      body,
    });
    return {
      status: response.status,
      body: await response
        .json()
        .catch(() => ({ error: { code: "bad_answer", message: `Stepwise answered ${response.status} without JSON` } })),
    };
  } catch (error) {
    return {
      status: 502,
      body: {
        error: { code: "unreachable", message: `Could not reach Stepwise at ${through.baseUrl}: ${describe(error)}` },
      },
    };
  }
}
