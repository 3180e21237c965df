import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client } from "./helpers.ts";

const post = async (path: string, body: unknown) =>
  SELF.fetch(`http://stepwise${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function mint(scope: { run: string } | { stream: string }, ttlSeconds?: number): Promise<string> {
  const response = await post("/v1/realtime/tokens", { ...scope, ...(ttlSeconds ? { ttlSeconds } : {}) });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

type Message = { type: string; [key: string]: unknown };

/** Opens a WebSocket subscription and collects what arrives. */
async function subscribe(query: string): Promise<{ messages: Message[]; close: () => void; status: number }> {
  const response = await SELF.fetch(`http://stepwise/v1/realtime/subscribe?${query}`, {
    headers: { upgrade: "websocket" },
  });
  const messages: Message[] = [];
  const socket = response.webSocket;
  if (!socket) return { messages, close: () => undefined, status: response.status };
  socket.accept();
  socket.addEventListener("message", (event) => {
    messages.push(JSON.parse(String(event.data)) as Message);
  });
  return { messages, close: () => socket.close(1000, "done"), status: response.status };
}

const errorOf = async (query: string): Promise<[number, string]> => {
  const response = await SELF.fetch(`http://stepwise/v1/realtime/subscribe?${query}`, {
    headers: { upgrade: "websocket" },
  });
  return [response.status, ((await response.json()) as { error: { code: string } }).error.code];
};

describe("realtime", () => {
  it("a run's subscriber gets the run, then each step as it ends, metadata changes and the end", async () => {
    const stream = `chat/${crypto.randomUUID()}`;
    const runId = await client.invoke("realtime-reply", { stream, text: "one two three", hold: true });
    await client.waitUntil(runId, (run) => run.status === "sleeping");
    const sub = await subscribe(`token=${await mint({ run: runId })}&run=${runId}`);
    expect(sub.status).toBe(101);
    await expect.poll(() => sub.messages[0]?.type).toBe("snapshot");
    expect(sub.messages[0]).toMatchObject({ run: { id: runId, status: "sleeping" } });
    await client.skipTime(runId);
    await expect
      .poll(() => sub.messages.at(-1), { timeout: 10_000 })
      .toMatchObject({
        type: "status",
        status: "completed",
        output: { text: "one two three" },
      });
    const steps = sub.messages.filter((m) => m.type === "step").map((m) => m.step as { id: string; status: string });
    expect(steps.filter((s) => s.status === "completed").map((s) => s.id)).toEqual([
      "hold",
      "think",
      "answer",
      "done",
      "finish",
    ]);
    const metadata = sub.messages.filter((m) => m.type === "metadata").map((m) => m.metadata);
    expect(metadata).toEqual([{ phase: "answering" }, { phase: "done" }]);
    sub.close();
  });

  it("a stream's subscriber gets a token stream word by word, live; a late one gets the replay, then live", async () => {
    const stream = `chat/${crypto.randomUUID()}`;
    const live = await subscribe(`token=${await mint({ stream })}&stream=${encodeURIComponent(stream)}`);
    await expect.poll(() => live.messages[0]).toEqual({ type: "live", seq: 0 });
    const runId = await client.invoke("realtime-reply", { stream, text: "the quick brown fox", gapMs: 20 });
    await client.waitForEnd(runId);
    await expect.poll(() => live.messages.at(-1)).toMatchObject({ type: "message", data: { done: true } });
    const data = live.messages.filter((m) => m.type === "message").map((m) => m.data);
    expect(data).toEqual(["the ", "quick ", "brown ", "fox", { done: true }]);
    const seqs = live.messages.filter((m) => m.type === "message").map((m) => m.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const late = await subscribe(`token=${await mint({ stream })}&after=${seqs[1]}`);
    await expect.poll(() => late.messages.at(-1)).toEqual({ type: "live", seq: seqs.at(-1) });
    expect(late.messages.filter((m) => m.type === "message").map((m) => m.data)).toEqual([
      "brown ",
      "fox",
      { done: true },
    ]);
    // The durable message carries the id derived from its run and step.
    expect(late.messages.find((m) => (m.data as { done?: boolean })?.done)).toMatchObject({ id: `${runId}/done` });
    live.close();
    late.close();
  });

  it("a run's subscribers never see its open wait tokens' ids or URLs (the capability to complete them)", async () => {
    const runId = await client.invoke("token-inline", {});
    const run = await client.waitUntil(runId, (r) => (r.tokens ?? []).length === 1);
    const tokenId = run.tokens?.[0]?.id ?? "";
    const sub = await subscribe(`token=${await mint({ run: runId })}`);
    await expect.poll(() => sub.messages[0]?.type).toBe("snapshot");
    expect(JSON.stringify(sub.messages[0])).not.toContain(tokenId);
    expect(JSON.stringify(sub.messages[0])).toContain('"status":"waiting"');
    sub.close();
  });

  it("refuses a token used twice, an expired one, a forged one, and one for another run", async () => {
    const runId = await client.invoke("realtime-reply", { stream: "chat/refusals", text: "x", hold: true });
    const token = await mint({ run: runId });
    const first = await subscribe(`token=${token}`);
    expect(first.status).toBe(101);
    expect(await errorOf(`token=${token}`)).toEqual([403, "token_used"]);
    const other = await client.invoke("realtime-reply", { stream: "chat/refusals", text: "y", hold: true });
    expect(await errorOf(`token=${await mint({ run: runId })}&run=${other}`)).toEqual([403, "token_scope"]);
    const forged = `${token.split(".")[0]}.${"0".repeat(64)}`;
    expect(await errorOf(`token=${forged}`)).toEqual([401, "invalid_token"]);
    expect(await errorOf("token=")).toEqual([401, "invalid_token"]);
    const short = await mint({ run: runId }, 1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await errorOf(`token=${short}`)).toEqual([401, "invalid_token"]);
    expect(await errorOf(`token=${await mint({ run: "no-such-run" })}`)).toEqual([404, "run_not_found"]);
    first.close();
  });

  it("serves Server-Sent Events to a subscriber that does not upgrade", async () => {
    const stream = `sse/${crypto.randomUUID()}`;
    await post("/v1/realtime/publish", { stream, messages: [{ data: "a" }, { data: { b: 2 } }] });
    const response = await SELF.fetch(`http://stepwise/v1/realtime/subscribe?token=${await mint({ stream })}`, {
      headers: { accept: "text/event-stream", origin: "https://app.example.com" },
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes('"type":"live"')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const events = text
      .split("\n\n")
      .filter(Boolean)
      .map((frame) => JSON.parse(frame.replace(/^data: /, "")) as Message);
    expect(events.map((e) => e.data ?? e.type)).toEqual(["a", { b: 2 }, "live"]);
  });

  it("publishing over the API: an id is published once; a bad stream name or an oversized message is refused", async () => {
    const stream = `api/${crypto.randomUUID()}`;
    const first = await post("/v1/realtime/publish", { stream, messages: [{ id: "m1", data: 1 }] });
    const again = await post("/v1/realtime/publish", { stream, messages: [{ id: "m1", data: 1 }, { data: 2 }] });
    const {
      seqs: [seq = 0],
    } = (await first.json()) as { seqs: number[] };
    expect(await again.json()).toEqual({ seqs: [seq, seq + 1] });
    expect((await post("/v1/realtime/publish", { stream: "bad name!", messages: [{ data: 1 }] })).status).toBe(400);
    const big = await post("/v1/realtime/publish", { stream, messages: [{ data: "x".repeat(70_000) }] });
    expect(big.status).toBe(413);
    expect((await post("/v1/realtime/tokens", { run: "a", stream: "b" })).status).toBe(400);
  });

  it("a stream that deletes itself waits for its used tokens to expire, and comes back with higher seqs", async () => {
    const name = `gone/${crypto.randomUUID()}`;
    const stub = env.STREAMS.get(env.STREAMS.idFromName(`stream:${name}`));
    const published = await post("/v1/realtime/publish", { stream: name, messages: [{ data: 1 }, { data: 2 }] });
    const { seqs } = (await published.json()) as { seqs: number[] };
    const token = await mint({ stream: name });
    const first = await subscribe(`token=${token}`);
    await expect.poll(() => first.messages.at(-1)).toEqual({ type: "live", seq: seqs[1] });
    first.close();
    // Past the replay window, with no subscriber left: the messages go, but the used token stays.
    await runInDurableObject(stub, (_, state) => {
      state.storage.sql.exec("UPDATE messages SET at = at - ?", 25 * 3_600_000);
      for (const socket of state.getWebSockets()) socket.close(1000, "gone");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await errorOf(`token=${token}`)).toEqual([403, "token_used"]);
    const nonceAlarm = await runInDurableObject(stub, (_, state) => state.storage.getAlarm());
    expect(nonceAlarm).toBeGreaterThan(Date.now());
    // Once its tokens expired the stream deletes itself; published again, its seqs go on above.
    await runInDurableObject(stub, (_, state) => void state.storage.sql.exec("UPDATE used_tokens SET expires_at = 0"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull();
    const again = await post("/v1/realtime/publish", { stream: name, messages: [{ data: 3 }] });
    const [next = 0] = ((await again.json()) as { seqs: number[] }).seqs;
    expect(next).toBeGreaterThan(seqs[1] ?? Infinity);
  });

  it("a stream subscribed to but never published to still has an alarm to go by", async () => {
    const name = `quiet/${crypto.randomUUID()}`;
    const sub = await subscribe(`token=${await mint({ stream: name })}`);
    await expect.poll(() => sub.messages[0]).toEqual({ type: "live", seq: 0 });
    sub.close();
    const stub = env.STREAMS.get(env.STREAMS.idFromName(`stream:${name}`));
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now());
  });

  it("over the binding: a Worker mints tokens, publishes, and subscribes (newline-delimited JSON)", async () => {
    const stream = `rpc/${crypto.randomUUID()}`;
    const published = await env.CALLER.call("publish", [stream, [{ data: "hello" }, { id: "x", data: 2 }]]);
    const seq = (published as { value?: { seqs: number[] } }).value?.seqs[0] ?? 0;
    expect(published).toEqual({ ok: true, value: { seqs: [seq, seq + 1] } });
    const minted = await env.CALLER.call("realtimeToken", [{ stream }, 30]);
    expect(minted).toMatchObject({ ok: true, value: { token: expect.any(String) } });
    expect(await env.CALLER.call("realtimeToken", [{ run: "a", stream: "b" }])).toMatchObject({
      ok: false,
      status: 400,
    });
    const opened = await env.CALLER.call("subscribe", [{ stream }]);
    if (!opened.ok) throw new Error(JSON.stringify(opened));
    const reader = (opened.value as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes('"type":"live"')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const lines = text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Message);
    expect(lines.map((m) => m.data ?? m.type)).toEqual(["hello", 2, "live"]);
    expect(await env.CALLER.call("subscribe", [{ run: "no-such-run" }])).toMatchObject({ ok: false, status: 404 });
  });

  it("a remote app's function publishes through its client's binding", async () => {
    expect((await env.REMOTE_APP.fetch("https://remote-app.example/api/stepwise", { method: "PUT" })).status).toBe(200);
    const stream = `remote/${crypto.randomUUID()}`;
    const sub = await subscribe(`token=${await mint({ stream })}`);
    const runId = await client.invoke("remote-publisher", { stream });
    expect((await client.waitForEnd(runId)).output).toBe("from an app");
    await expect
      .poll(() => sub.messages.filter((m) => m.type === "message").map((m) => m.data))
      .toEqual(["from ", "an app", { done: "from an app" }]);
    sub.close();
  });
});
