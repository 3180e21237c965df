import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signTokenCompletion } from "../sdk/index.ts";
import { client } from "./helpers.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A token's URL on the test Worker (STEPWISE_PUBLIC_URL is unset, so step outputs hold the path). */
const at = (url: string): string => new URL(url, "http://stepwise").toString();

/** POSTs `body` to a token's URL as a page on another origin would. */
function complete(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(at(url), {
    method: "POST",
    headers: { "content-type": "application/json", origin: "https://app.example.com", ...headers },
    body,
  });
}

/** Starts `token-approval` and waits until its token is handed out (the notify step's output). */
async function handedOut(data: Record<string, unknown> = {}): Promise<{ runId: string; url: string; id: string }> {
  const runId = await client.invoke("token-approval", data);
  const run = await client.waitUntil(runId, (r) => r.steps.some((s) => s.id === "notify" && s.status === "completed"));
  const token = run.steps.find((s) => s.id === "approval-token")?.output as { id: string; url: string };
  return { runId, ...token };
}

const errorCode = async (response: Response): Promise<[number, string]> => [
  response.status,
  ((await response.json()) as { error: { code: string } }).error.code,
];

describe("wait tokens", () => {
  it("a token handed out in a step is completed through its URL from another origin, once", async () => {
    const { runId, url, id } = await handedOut();
    expect(id).toMatch(new RegExp(`^wt_[0-9a-f]{32}_${runId}$`));
    expect(url).toBe(`/v1/tokens/${id}/complete`);
    await client.waitUntil(runId, (run) => run.status === "waiting");

    const first = await complete(url, JSON.stringify({ ok: true, by: "ada" }));
    expect(first.status).toBe(200);
    expect(first.headers.get("access-control-allow-origin")).toBe("*");
    expect(await first.json()).toEqual({ tokenId: id, runId, resumed: true });
    const run = await client.waitForEnd(runId);
    expect(run.output).toEqual({ approved: { ok: true, by: "ada" } });
    expect(run.tokens).toEqual([expect.objectContaining({ id, status: "completed", stepId: "approval-token" })]);

    expect(await errorCode(await complete(url, JSON.stringify({ ok: false })))).toEqual([409, "token_completed"]);
    expect((await client.getRun(runId)).output).toEqual({ approved: { ok: true, by: "ada" } });
  });

  it("a completion before the wait begins is kept for it", async () => {
    const { runId, url } = await handedOut({ pause: true });
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    const early = await complete(url, JSON.stringify("early"));
    expect(await early.json()).toMatchObject({ resumed: false });
    await client.skipTime(runId);
    expect((await client.waitForEnd(runId)).output).toEqual({ approved: "early" });
  });

  it("an expired token is refused, and the wait that begins after it returns null", async () => {
    const { runId, url } = await handedOut({ timeout: "1s", pause: true });
    await pause(1_200);
    expect(await errorCode(await complete(url, "{}"))).toEqual([410, "token_expired"]);
    await client.skipTime(runId);
    expect((await client.waitForEnd(runId)).output).toBe("expired");
  });

  it("a wait past its token's timeout returns null, and the ended run's token is refused", async () => {
    const { runId, url } = await handedOut();
    await client.waitUntil(runId, (run) => run.status === "waiting");
    const run = await client.waitForEnd(runId, { skipTime: true });
    expect(run.output).toBe("expired");
    expect(run.steps.find((s) => s.id === "approval")?.output).toBeNull();
    expect(await errorCode(await complete(url, "{}"))).toEqual([410, "run_ended"]);
  });

  it("a signed token takes only a completion signed with its secret; an operator's key completes it unsigned", async () => {
    const secret = "webhook-secret-0123456789";
    const { runId, url, id } = await handedOut({ secret });
    await client.waitUntil(runId, (run) => run.status === "waiting");
    const body = JSON.stringify({ paid: 42 });
    expect(await errorCode(await complete(url, body))).toEqual([401, "bad_signature"]);
    const forged = await signTokenCompletion(id, body, "another-secret-0123456789");
    expect(await errorCode(await complete(url, body, { "x-stepwise-signature": forged }))).toEqual([
      401,
      "bad_signature",
    ]);
    const otherBody = await signTokenCompletion(id, JSON.stringify({ paid: 1 }), secret);
    expect(await errorCode(await complete(url, body, { "x-stepwise-signature": otherBody }))).toEqual([
      401,
      "bad_signature",
    ]);
    const signed = await complete(url, body, { "x-stepwise-signature": await signTokenCompletion(id, body, secret) });
    expect(signed.status).toBe(200);
    expect((await client.waitForEnd(runId)).output).toEqual({ approved: { paid: 42 } });
    // The secret stays in the run's storage: its history shows only that the token is signed.
    const { history } = (await (await SELF.fetch(`http://stepwise/v1/runs/${runId}/history`)).json()) as {
      history: { type: string }[];
    };
    const created = history.find((entry) => entry.type === "token.created");
    expect(created).toMatchObject({ signed: true });
    expect(created).not.toHaveProperty("secret");

    const second = await handedOut({ secret });
    await client.waitUntil(second.runId, (run) => run.status === "waiting");
    const operator = await SELF.fetch(`http://stepwise/v1/runs/${second.runId}/tokens/${second.id}/complete`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify("by hand"),
    });
    expect(operator.status).toBe(200);
    expect((await client.waitForEnd(second.runId)).output).toEqual({ approved: "by hand" });
  });

  it("unknown, malformed, oversized and non-JSON completions are refused with a clear error", async () => {
    const { runId, url, id } = await handedOut();
    const guessed = `/v1/tokens/wt_${"0".repeat(32)}_${runId}/complete`;
    expect(await errorCode(await complete(guessed, "{}"))).toEqual([404, "token_not_found"]);
    expect(await errorCode(await complete("/v1/tokens/not-a-token/complete", "{}"))).toEqual([404, "token_not_found"]);
    expect(await errorCode(await complete(url, "{not json"))).toEqual([400, "invalid_json"]);
    const big = JSON.stringify({ blob: "x".repeat(300 * 1024) });
    expect(await errorCode(await complete(url, big))).toEqual([413, "payload_too_large"]);
    const status = await SELF.fetch(at(`/v1/tokens/${id}`));
    expect(await status.json()).toMatchObject({ id, status: "open", signed: false });
    expect((await SELF.fetch(at(`/v1/tokens/wt_${"1".repeat(32)}_${runId}`))).status).toBe(404);
  });

  it("answers a browser's CORS preflight", async () => {
    const response = await SELF.fetch(at(`/v1/tokens/wt_${"0".repeat(32)}_x/complete`), {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
    expect(response.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
  });

  it("a wait that makes its own token shows it in the run's view; parallel ones complete in any order, over RPC", async () => {
    const runId = await client.invoke("token-inline", { parallel: true });
    const waiting = await client.waitUntil(runId, (run) => (run.tokens ?? []).length === 2);
    const [left, right] = waiting.tokens ?? [];
    expect(waiting.steps.find((s) => s.id === "left")?.tokenId).toBe(left?.id);
    expect(left).toMatchObject({ stepId: "left", status: "open", signed: false });
    const call = (tokenId: string, data: unknown) => env.CALLER.call("completeToken", [tokenId, data]);
    expect(await call(right!.id, "R")).toMatchObject({ ok: true, value: { runId, resumed: true } });
    expect(await call(right!.id, "again")).toMatchObject({ ok: false, code: "token_completed", status: 409 });
    expect(await call(left!.id, "L")).toMatchObject({ ok: true });
    expect((await client.waitForEnd(runId)).output).toEqual(["L", "R"]);
  });

  it("a wait for a token the run did not create fails its step with UnknownTokenError", async () => {
    const other = await handedOut();
    const run = await client.run("token-foreign", { tokenId: other.id });
    expect(run.status).toBe("failed");
    const step = run.steps.find((s) => s.id === "foreign") as { error?: { name: string; message: string } };
    expect(step.error?.name).toBe("UnknownTokenError");
    expect(step.error?.message).toContain("was not created by this run");
  });
});
