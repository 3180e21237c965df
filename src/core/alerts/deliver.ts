/**
 * Delivering one alert to its channel: a webhook gets the payload as JSON, signed with the rule's
 * secret (`x-stepwise-signature: t=<unix seconds>,v1=<HMAC-SHA256 hex of "<t>.<body>">`, so a
 * receiver checks the time and the body); Slack gets a message; email goes through the
 * deployment's provider, a Resend-compatible API (STEPWISE_EMAIL_API_URL, https://api.resend.com/emails
 * by default; STEPWISE_EMAIL_API_KEY; STEPWISE_EMAIL_FROM). Throws a {@link DeliveryError} with the
 * reason when the channel refuses or cannot be reached in {@link DELIVERY_TIMEOUT_MS}.
 */
import type { AlertChannel, AlertPayload } from "../../../sdk/alerts.ts";
import { hmacHex } from "../../../sdk/signing.ts";
import type { Env } from "../env.ts";
import { unsafeAppUrl } from "../lib/app-url.ts";

/** How long a channel has to answer. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * A channel did not take an alert. `retryable` when trying again may work: it could not be
 * reached, timed out, or answered 408, 429 or 5xx. A refusal (another 4xx) or a deployment
 * missing its email settings will not pass by itself.
 */
export class DeliveryError extends Error {
  override name = "DeliveryError";
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * Why a channel's URL may not be called, or null: outside development only https:// to a public
 * address, as for apps (an alert rule must not make Stepwise probe the networks it can reach).
 */
export function unsafeChannel(env: Env, channel: AlertChannel): string | null {
  if (channel.type === "email" || env.STEPWISE_ENV === "development") return null;
  return unsafeAppUrl(channel.url, "alert channels");
}

const retryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** The signature header of a webhook alert with `body`, sent at `now`. */
export async function alertSignature(secret: string, body: string, now: number): Promise<string> {
  const t = Math.floor(now / 1_000);
  return `t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}`;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      // A redirect is the channel's answer, not somewhere else to send the alert.
      redirect: "manual",
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DeliveryError(`could not reach ${new URL(url).host}: ${reason}`, true);
  }
  if (!response.ok)
    throw new DeliveryError(
      `${new URL(url).host} answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
      retryableStatus(response.status),
    );
  await response.body?.cancel();
}

/** A message for people: the title, the text, and the run's page when there is one. */
const message = (alert: AlertPayload): string =>
  [
    `${alert.test ? "[test] " : ""}${alert.title}`,
    alert.text,
    ...(alert.suppressed ? [`(${alert.suppressed} more alert(s) of this incident were not sent)`] : []),
    ...(alert.runUrl ? [alert.runUrl] : []),
  ].join("\n");

/** Sends `alert` to `channel`. */
export async function deliver(env: Env, channel: AlertChannel, alert: AlertPayload, now = Date.now()): Promise<void> {
  const unsafe = unsafeChannel(env, channel);
  if (unsafe) throw new DeliveryError(`the channel's URL is refused: ${unsafe}`, false);
  switch (channel.type) {
    case "webhook": {
      const body = JSON.stringify(alert);
      return post(channel.url, body, { "x-stepwise-signature": await alertSignature(channel.secret, body, now) });
    }
    case "slack":
      return post(channel.url, JSON.stringify({ text: message(alert) }), {});
    case "email": {
      const key = env.STEPWISE_EMAIL_API_KEY;
      const from = env.STEPWISE_EMAIL_FROM;
      if (!key || !from)
        throw new DeliveryError("email alerts need STEPWISE_EMAIL_API_KEY and STEPWISE_EMAIL_FROM to be set", false);
      const url = env.STEPWISE_EMAIL_API_URL || "https://api.resend.com/emails";
      const body = JSON.stringify({ from, to: channel.to, subject: alert.title, text: message(alert) });
      return post(url, body, { authorization: `Bearer ${key}` });
    }
  }
}
