/**
 * Fuzzing every route: 2,400 generated requests (bodies, content types, paths and query strings,
 * from a fixed seed so a failure can be replayed) against the real Worker. Whatever they hold,
 * the answer is never a 5xx: bad input is refused with a 4xx that says why.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "./worker.ts";

/**
 * The Worker's own fetch handler, called in the test's isolate. Not SELF.fetch: in the workers
 * pool each SELF request gets slower as their number grows (cloudflare/workers-sdk#15446), and
 * 2,400 of them would take minutes.
 */
async function call(url: string, init: RequestInit): Promise<number> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(url, init) as Request<unknown, IncomingRequestCfProperties>,
    env,
    ctx,
  );
  await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return response.status;
}

/** A small seeded generator (mulberry32): the same seed gives the same requests. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Gen = ReturnType<typeof generator>;

const STRINGS = [
  "",
  "x",
  "user/signed-up",
  "onboard-user",
  "test-parallel",
  "\u0000",
  "\ud800",
  "💥",
  "<script>alert(1)</script>",
  "../../etc/passwd",
  "%00",
  "a".repeat(300),
  "01JNOTAREALRUN0000000000",
  "null",
  "true",
  "-1",
  "1e400",
  "' OR 1=1 --",
];
const NUMBERS = [0, -1, 1, 1.5, 2 ** 53, -(2 ** 53), 1e308, -1e308, 8_640_000_000_000_001, 200, 201, 5_000, 5_001];

function value(gen: Gen, depth: number): unknown {
  const kind = gen.int(depth > 4 ? 4 : 7);
  if (kind === 0) return gen.pick(STRINGS);
  if (kind === 1) return gen.pick(NUMBERS);
  if (kind === 2) return gen.pick([true, false, null]);
  if (kind === 3) return gen.pick(STRINGS) + gen.int(1_000_000).toString(36);
  if (kind === 4) return Array.from({ length: gen.int(4) }, () => value(gen, depth + 1));
  if (kind === 5) return deep(gen.pick([2, 50, 101, 1_000]));
  return Object.fromEntries(
    Array.from({ length: gen.int(5) }, () => [
      gen.pick([
        "name",
        "data",
        "id",
        "ts",
        "user",
        "v",
        "function",
        "from",
        "to",
        "status",
        "fromStart",
        "only",
        "binding",
        "path",
        "url",
        "reason",
        gen.pick(STRINGS),
      ]),
      value(gen, depth + 1),
    ]),
  );
}

const deep = (levels: number): unknown => {
  let inner: unknown = 1;
  for (let i = 0; i < levels; i++) inner = { a: inner };
  return inner;
};

/** A body: mostly JSON shaped like what the route takes, sometimes anything at all. */
function body(gen: Gen): string {
  const shaped = [
    () => JSON.stringify({ name: `fuzz/${gen.int(1_000)}`, data: { value: value(gen, 1) } }),
    () =>
      JSON.stringify({
        name: gen.pick(STRINGS),
        data: value(gen, 1),
        ts: gen.pick(NUMBERS),
        id: gen.pick([undefined, ...STRINGS]),
      }),
    () => JSON.stringify(Array.from({ length: gen.int(3) }, () => ({ name: gen.pick(STRINGS), data: value(gen, 1) }))),
    () => JSON.stringify({ data: value(gen, 1) }),
    () =>
      JSON.stringify({
        function: gen.pick(STRINGS),
        from: gen.pick([...NUMBERS, ...STRINGS]),
        to: gen.pick([...NUMBERS, ...STRINGS]),
        status: gen.pick(STRINGS),
      }),
    () => JSON.stringify({ binding: gen.pick(STRINGS), path: gen.pick(STRINGS) }),
    () => JSON.stringify(value(gen, 0)),
    () => gen.pick(["{", "[1,", "nul", '{"a":}', "\u0000", "x".repeat(2_000), "", " ", '{"name":"\\ud800"}']),
    () =>
      new URLSearchParams({
        name: gen.pick(STRINGS),
        data: gen.pick(["{}", "{", String(value(gen, 0))]),
        key: gen.pick(STRINGS),
      }).toString(),
  ];
  return gen.pick(shaped)();
}

/** A path segment; a lone surrogate cannot be encoded, so it is sent as the bytes UTF-8 would never make. */
const ID = (gen: Gen): string => {
  const text = gen.pick([...STRINGS, "01JABCDEFGHJKMNPQRSTVWXYZ0", "%ED%A0%80", "%ZZ"]);
  try {
    return text.startsWith("%") ? text : encodeURIComponent(text);
  } catch {
    return "%ED%A0%80";
  }
};
const ROUTES: ((gen: Gen) => [method: string, path: string])[] = [
  () => ["POST", "/v1/events"],
  (g) => ["POST", `/e/${ID(g)}`],
  () => ["GET", "/v1/events"],
  (g) => ["GET", `/v1/events/${ID(g)}`],
  (g) => ["POST", `/v1/events/${ID(g)}/reroute`],
  () => ["GET", "/v1/functions"],
  (g) => ["POST", `/v1/functions/${ID(g)}/invoke`],
  () => ["GET", "/v1/runs"],
  (g) => ["GET", `/v1/runs/${ID(g)}`],
  (g) => ["GET", `/v1/runs/${ID(g)}/history`],
  (g) => [g.pick(["POST", "GET"]), `/v1/runs/${ID(g)}/${g.pick(["cancel", "replay", "wake"])}`],
  (g) => ["POST", `/v1/bulk/${g.pick(["cancel", "replay"])}`],
  (g) => ["GET", `/v1/bulk/${ID(g)}`],
  () => ["GET", "/v1/apps"],
  (g) => ["POST", `/v1/apps${g.pick(["", "/sync"])}`],
  (g) => ["GET", `/dashboard/${g.pick(["runs", "events", "functions", "login", ""])}`],
  (g) => ["GET", `/dashboard/${g.pick(["runs", "events", "functions"])}/${ID(g)}`],
  (g) => ["POST", `/dashboard/runs/${ID(g)}/${g.pick(["cancel", "wake", "replay"])}`],
  (g) => ["POST", `/dashboard/functions/${ID(g)}/${g.pick(["invoke", "replay-failed"])}`],
  (g) => ["POST", `/dashboard/events/${g.pick(["send", `${ID(g)}/reroute`])}`],
  (g) => [g.pick(["PUT", "DELETE", "PATCH"]), g.pick(["/v1/events", "/v1/runs", "/dashboard/runs", "/nowhere"])],
];

function query(gen: Gen): string {
  const params = new URLSearchParams();
  for (let i = gen.int(4); i > 0; i--) {
    params.append(
      gen.pick([
        "limit",
        "cursor",
        "function",
        "status",
        "event",
        "after",
        "name",
        "from",
        "to",
        "q",
        gen.pick(STRINGS),
      ]),
      String(gen.pick([...STRINGS, ...NUMBERS, "eyJhdCI6MX0", "2026-01-01T00:00:00Z"])),
    );
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

describe("fuzzed requests", () => {
  it("2,400 generated requests over every route: no answer is a 5xx", { timeout: 240_000 }, async () => {
    const gen = generator(0x5eed);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 2_400; i++) {
      const [method, path] = gen.pick(ROUTES)(gen);
      const url = `http://stepwise${path}${query(gen)}`;
      const headers: Record<string, string> = {
        "content-type": gen.pick([
          "application/json",
          "application/json",
          "application/json",
          "text/plain",
          "application/x-www-form-urlencoded",
        ]),
      };
      if (path.startsWith("/dashboard")) headers.origin = "http://stepwise";
      if (gen.int(12) === 0) headers.origin = gen.pick(["https://evil.example", "null"]);
      const init: RequestInit = {
        method,
        headers,
        ...(method === "GET" || method === "HEAD" ? {} : { body: body(gen) }),
      };
      const started = Date.now();
      const response = await Promise.race([
        call(url, { ...init, redirect: "manual" }),
        new Promise<string>((resolve) => setTimeout(() => resolve("no answer in 10 s"), 10_000)),
      ]);
      if (typeof response === "number") statuses.set(response, (statuses.get(response) ?? 0) + 1);
      if (typeof response === "string" || response >= 500)
        failures.push(`#${i} ${method} ${url} ${String(init.body).slice(0, 200)} → ${response}`);
      if (Date.now() - started > 2_000)
        console.warn(`fuzz #${i} took ${Date.now() - started} ms: ${method} ${url.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
    // The requests reached the handlers: accepted work as well as every kind of refusal.
    for (const status of [200, 202, 400, 401, 403, 404, 415])
      expect(statuses.get(status) ?? 0, `answers ${status}`).toBeGreaterThan(0);
  });
});
