import { Inngest } from "inngest";
import { serve } from "inngest/cloudflare";
import { describe, expect, it } from "vitest";
import { mapInngestFunction, parseCron } from "./config.ts";

const inngest = new Inngest({ id: "shop" });
const noop = async () => null;

/** Functions written with the real SDK, one per group of options. */
const functions = [
  inngest.createFunction(
    {
      id: "charge",
      name: "Charge a card",
      retries: 2,
      triggers: [{ event: "order/placed", if: "event.data.total > 0" }, { event: "order/retry.*" }],
      concurrency: [
        { limit: 5, key: "event.data.accountId" },
        { limit: 50, scope: "account", key: '"payments"' },
      ],
      throttle: { limit: 10, period: "1m", burst: 2, key: "event.data.accountId" },
      idempotency: "event.data.orderId",
      priority: { run: "event.data.vip ? 120 : 0" },
      timeouts: { start: "10m", finish: "1h" },
      cancelOn: [{ event: "order/cancelled", match: "data.orderId", timeout: "1d" }],
      onFailure: noop,
    },
    noop,
  ),
  inngest.createFunction(
    {
      id: "digest",
      triggers: [{ cron: "TZ=Europe/Paris 0 12 * * *" }],
      debounce: { period: "30s", key: "event.data.userId", timeout: "5m" },
      rateLimit: { limit: 1, period: "1h" },
      singleton: { key: "event.data.userId", mode: "cancel" },
    },
    noop,
  ),
  inngest.createFunction(
    {
      id: "batch",
      triggers: [{ event: "log/line" }],
      batchEvents: { maxSize: 100, timeout: "5s", key: "event.data.host" },
      concurrency: 3,
    },
    noop,
  ),
  inngest.createFunction({ id: "jittery", triggers: [{ cron: "*/5 * * * *", jitter: "30s" }] }, noop),
  inngest.createFunction(
    {
      id: "filtered-batch",
      triggers: [{ event: "log/line" }],
      batchEvents: { maxSize: 10, timeout: "5s", if: "event.data.ok" },
    },
    noop,
  ),
];

/** The app's functions as its in-band sync reports them (dev mode: unsigned), the way Stepwise will read them. */
async function registered(): Promise<Record<string, unknown>[]> {
  const handler = serve({ client: inngest, functions }) as unknown as (
    request: Request,
    env: Record<string, string>,
  ) => Promise<Response>;
  const url = "https://app.test/api/inngest";
  const request = new Request(url, {
    method: "PUT",
    headers: { host: "app.test", "content-type": "application/json", "x-inngest-sync-kind": "in_band" },
    body: JSON.stringify({ url }),
  });
  const answer = await handler(request, { INNGEST_DEV: "1" });
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { functions: Record<string, unknown>[] }).functions;
}

describe("Inngest function config on Stepwise", async () => {
  const byId = new Map((await registered()).map((fn) => [String(fn.id), fn]));
  const map = (id: string) => mapInngestFunction(byId.get(id));

  it("maps triggers, retries, concurrency (account scope as env), throttle, idempotency, priority, timeouts and cancel", () => {
    const mapped = map("shop-charge");
    expect(mapped.ok).toBe(true);
    if (!mapped.ok) return;
    expect(mapped.fn.url).toBe("https://app.test/api/inngest?fnId=shop-charge&stepId=step");
    expect(mapped.fn.triggers).toEqual([
      { event: "order/placed", if: "event.data.total > 0" },
      { event: "order/retry.*" },
    ]);
    expect(mapped.fn.config).toMatchObject({
      id: "shop-charge",
      name: "Charge a card",
      retries: 2,
      backoff: { initial: "15s", coefficient: 2, max: "2h" },
      concurrency: [
        { limit: 5, key: "event.data.accountId", scope: "fn" },
        { limit: 50, key: '"payments"', scope: "env" },
      ],
      throttle: { limit: 10, period: "1m", burst: 2, key: "event.data.accountId" },
      idempotency: "event.data.orderId",
      priority: { run: "event.data.vip ? 120 : 0" },
      timeouts: { start: "10m", finish: "1h" },
      cancelOn: [{ event: "order/cancelled", if: "event.data.orderId == async.data.orderId", timeout: "1d" }],
    });
  });

  it("maps the onFailure companion as an ordinary function of inngest/function.failed, with Inngest's single attempt", () => {
    const mapped = map("shop-charge-failure");
    expect(mapped.ok && mapped.fn.triggers).toEqual([
      { event: "inngest/function.failed", if: "event.data.function_id == 'shop-charge'" },
    ]);
    expect(mapped.ok && mapped.fn.config.retries).toBe(1);
  });

  it("reads a zoned cron, debounce, rate limit and singleton; an unset retries is Inngest's 4", () => {
    const mapped = map("shop-digest");
    expect(mapped.ok && mapped.fn.triggers).toEqual([{ cron: "0 12 * * *", timezone: "Europe/Paris" }]);
    expect(mapped.ok && mapped.fn.config).toMatchObject({
      retries: 4,
      debounce: { period: "30s", key: "event.data.userId", timeout: "5m" },
      rateLimit: { limit: 1, period: "1h" },
      singleton: { key: "event.data.userId", mode: "cancel" },
    });
    expect(map("shop-batch")).toMatchObject({
      ok: true,
      fn: {
        config: {
          batchEvents: { maxSize: 100, timeout: "5s", key: "event.data.host" },
          concurrency: [{ limit: 3, scope: "fn" }],
        },
      },
    });
  });

  it("refuses what Stepwise cannot run, naming the function and the option", () => {
    expect(map("shop-jittery")).toEqual({
      ok: false,
      refusals: ['function "shop-jittery": triggers[0].jitter is not supported: a cron runs at its tick'],
    });
    expect(map("shop-filtered-batch")).toEqual({
      ok: false,
      refusals: [
        'function "shop-filtered-batch": batchEvents.if is not supported: Stepwise batches every event of the function',
      ],
    });
    const connect = {
      ...byId.get("shop-batch"),
      steps: { step: { id: "step", name: "step", runtime: { type: "ws" } } },
    };
    expect(mapInngestFunction(connect)).toMatchObject({
      ok: false,
      refusals: [expect.stringContaining('runtime.type "ws" (Inngest Connect) is not supported')],
    });
  });

  it("collects every refusal of a function, including Stepwise's own checks and options it does not know", () => {
    const bad = {
      ...byId.get("shop-digest"),
      id: "shop/digest",
      checkpoint: { maxRuntime: "1s" },
      cancel: [{ event: "x", if: "event.data.(" }],
    };
    const mapped = mapInngestFunction(bad);
    expect(mapped.ok).toBe(false);
    if (mapped.ok) return;
    expect(mapped.refusals).toHaveLength(3);
    expect(mapped.refusals[0]).toBe('function "shop/digest": checkpoint is not an option Stepwise knows');
    expect(mapped.refusals.slice(1).join("\n")).toMatch(
      /function "shop\/digest": id letters, digits[\s\S]*function "shop\/digest": cancel\.0\.if /,
    );
  });
});

describe("parseCron", () => {
  it("splits Inngest's zone prefix from the expression", () => {
    expect(parseCron("TZ=Asia/Tokyo 0 9 * * 1")).toEqual({ cron: "0 9 * * 1", timezone: "Asia/Tokyo" });
    expect(parseCron("CRON_TZ=UTC */5 * * * *")).toEqual({ cron: "*/5 * * * *", timezone: "UTC" });
    expect(parseCron("0 0 * * *")).toEqual({ cron: "0 0 * * *" });
  });
});
