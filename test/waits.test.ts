import { describe, expect, it } from "vitest";
import { client, runFor, sendEvents as send } from "./helpers.ts";
import { executions } from "./functions.ts";
import { queryPlan } from "./query-plan.ts";

const key = (): string => crypto.randomUUID();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("step.waitForEvent", () => {
  it("human approval: waits, the matching approval arrives, the run continues with it", async () => {
    const invoiceId = key();
    const [created] = await send({ name: "test/invoice.created", data: { invoiceId } });
    const runId = await runFor(created!, "approval-flow");
    await client.waitUntil(runId, (run) => run.status === "waiting");
    await send([
      { name: "test/invoice.approved", data: { invoiceId: "someone-else", amount: 1 } },
      { name: "test/invoice.approved", data: { invoiceId, amount: 250 } },
    ]);
    const run = await client.waitForEnd(runId);
    expect(run.output).toEqual({ paid: 250 });
    expect(run.steps.map((step) => [step.id, step.status])).toEqual([
      ["approval", "completed"],
      ["pay", "completed"],
    ]);
  });

  it("no approval: the timeout passes and the run takes the other branch", async () => {
    const [created] = await send({ name: "test/invoice.created", data: { invoiceId: key() } });
    const runId = await runFor(created!, "approval-flow");
    await client.waitUntil(runId, (run) => run.status === "waiting");
    const run = await client.waitForEnd(runId, { skipTime: true });
    expect(run.output).toBe("escalated");
  });

  it("race: an approval sent together with the event that starts the wait is not missed", async () => {
    const invoiceId = key();
    const [created] = await send([
      { name: "test/invoice.created", data: { invoiceId } },
      { name: "test/invoice.approved", data: { invoiceId, amount: 7 } },
    ]);
    const run = await client.waitForEnd(await runFor(created!, "approval-flow"));
    expect(run.output).toEqual({ paid: 7 });
  });

  it("race: events in quick succession each resume one wait, none missed, none twice", async () => {
    const k = key();
    const [start] = await send({ name: "test/seq.start", data: { key: k } });
    const runId = await runFor(start!, "sequence-flow");
    await client.waitUntil(runId, (run) => run.status === "waiting");
    for (const n of [1, 2, 3]) await send({ name: "test/seq.item", data: { key: k, n } });
    const run = await client.waitForEnd(runId);
    expect([...(run.output as number[])].sort()).toEqual([1, 2, 3]);
  });

  it("an event that arrived well before the wait is not taken, unless the wait has a lookback", async () => {
    const invoiceId = key();
    const k = key();
    const [, done] = await send([
      { name: "test/invoice.approved", data: { invoiceId, amount: 1 } },
      { name: "test/lookback.done", data: { key: k } },
    ]);
    await pause(1_500);
    const [created, start] = await send([
      { name: "test/invoice.created", data: { invoiceId } },
      { name: "test/lookback.start", data: { key: k } },
    ]);
    const lookback = await client.waitForEnd(await runFor(start!, "lookback-flow"));
    expect(lookback.output).toBe(done);
    const approvalRun = await runFor(created!, "approval-flow");
    await client.waitUntil(approvalRun, (run) => run.status === "waiting");
    await pause(200);
    expect((await client.getRun(approvalRun)).status).toBe("waiting");
  });
});

describe("step.sendEvent", () => {
  it("sends once: a retry of a later step does not send again, and the event starts its functions", async () => {
    const k = key();
    const [start] = await send({ name: "test/send.start", data: { key: k } });
    const run = await client.waitForEnd(await runFor(start!, "sender-flow"), { skipTime: true });
    expect(run.status).toBe("completed");
    expect(run.output).toHaveLength(1);
    await expect.poll(() => ["fan-a", "fan-b", "fan-c"].map((fn) => executions(`${fn}:${k}`))).toEqual([1, 1, 1]);
    await pause(100);
    expect(executions(`fan-a:${k}`)).toBe(1);
  });
});

describe("step.waitForEvents", () => {
  it("all: resumes once each event has arrived, in the order given, whatever order they come in", async () => {
    const userId = key();
    const runId = await runFor((await send({ name: "test/kyc.start", data: { userId } }))[0]!, "kyc-flow");
    await client.waitUntil(runId, (run) => run.status === "waiting");
    await send({ name: "test/kyc.address", data: { userId } });
    await pause(100);
    expect((await client.getRun(runId)).status).toBe("waiting");
    await send({ name: "test/kyc.id", data: { userId: "other" } });
    await send({ name: "test/kyc.id", data: { userId } });
    expect((await client.waitForEnd(runId)).output).toEqual(["test/kyc.id", "test/kyc.address"]);
  });

  it("all: at the timeout, returns what arrived and null for the rest", async () => {
    const userId = key();
    const runId = await runFor((await send({ name: "test/kyc.start", data: { userId } }))[0]!, "kyc-flow");
    await client.waitUntil(runId, (run) => run.status === "waiting");
    await send({ name: "test/kyc.id", data: { userId } });
    await pause(100);
    expect((await client.waitForEnd(runId, { skipTime: true })).output).toEqual(["test/kyc.id", null]);
  });

  it("any: resumes with the first event that matches its own condition", async () => {
    const userId = key();
    const runId = await runFor((await send({ name: "test/reply.start", data: { userId } }))[0]!, "first-reply");
    await client.waitUntil(runId, (run) => run.status === "waiting");
    await send({ name: "test/reply.sms", data: { phoneOf: userId } });
    expect((await client.waitForEnd(runId)).output).toBe("test/reply.sms");
  });
});

describe("one event resumes one wait of a run", () => {
  it("waits in a keyed shard and in the home index: each takes its own event", async () => {
    const k = key();
    const runId = await runFor((await send({ name: "test/twin.start", data: { key: k } }))[0]!, "twin-waits");
    await client.waitUntil(runId, (run) => run.status === "waiting");
    const [first] = await send({ name: "test/twin.signal", data: { key: k } });
    const completed = async () => (await client.getRun(runId)).steps.filter((step) => step.status === "completed");
    await expect.poll(async () => (await completed()).length, { timeout: 10_000 }).toBe(1);
    await pause(500);
    expect(await completed()).toHaveLength(1);
    expect((await client.getRun(runId)).status).toBe("waiting");
    const [second] = await send({ name: "test/twin.signal", data: { key: k } });
    const output = (await client.waitForEnd(runId)).output as string[];
    expect([...output].sort()).toEqual([first, second].sort());
  });

  it("all: the parts of one multi-event wait, in different indexes, take different events", async () => {
    const k = key();
    const start = await send({ name: "test/twin-parts.start", data: { key: k } });
    const runId = await runFor(start[0]!, "twin-parts");
    await client.waitUntil(runId, (run) => run.status === "waiting");
    const [first] = await send({ name: "test/twin-parts.signal", data: { key: k } });
    await pause(500);
    expect((await client.getRun(runId)).status).toBe("waiting");
    const [second] = await send({ name: "test/twin-parts.signal", data: { key: k } });
    const output = (await client.waitForEnd(runId)).output as string[];
    expect([...output].sort()).toEqual([first, second].sort());
  });
});

describe("the WaitIndex's queries", () => {
  it("key at most 16 paths, and a path no waiter is kept under any more makes room for another", async () => {
    const { env, runInDurableObject } = await import("cloudflare:test");
    const index = env.WAITS.get(env.WAITS.idFromName(`paths-${crypto.randomUUID()}`));
    const waiterOf = (n: number) => ({
      runId: `run-${n}`,
      stepId: "wait",
      runEvent: { id: "trigger", name: "test/paths", data: { v: "a" }, ts: 0 },
      condition: `async.data.p${n} == event.data.v`,
      startedAt: Date.now(),
      lookbackMs: 0,
      until: Date.now() + 60_000,
    });
    for (let n = 0; n <= 16; n++) expect(await index.register(waiterOf(n))).toBeNull();
    const keyed = () =>
      runInDurableObject(index, async (_instance, state) => ({
        waiters: Object.fromEntries(
          state.storage.sql
            .exec<{ run_id: string; match_path: string | null }>("SELECT run_id, match_path FROM waiters")
            .toArray()
            .map((row) => [row.run_id, row.match_path]),
        ),
        paths: state.storage.sql.exec("SELECT count(*) AS n FROM keyed_paths").one().n,
      }));
    let seen = await keyed();
    expect(seen.paths).toBe(16);
    expect(seen.waiters["run-15"]).toBe('["data","p15"]');
    expect(seen.waiters["run-16"]).toBeNull();
    await index.forget("run-0");
    expect(await index.register(waiterOf(17))).toBeNull();
    seen = await keyed();
    expect(seen.paths).toBe(16);
    expect(seen.waiters["run-17"]).toBe('["data","p17"]');
  });

  it("go through indexes: no scan of arrivals, consumptions or waiters on a delivery or a registration", async () => {
    const { env, runInDurableObject } = await import("cloudflare:test");
    const index = env.WAITS.get(env.WAITS.idFromName(`plans-${crypto.randomUUID()}`));
    // The tables are made when the index is first used.
    await index.forget("nobody");
    const plans = await runInDurableObject(index, async (_instance, state) => {
      const plan = (query: string, ...args: unknown[]) => queryPlan(state.storage.sql, query, ...args);
      return [
        plan("DELETE FROM arrived WHERE received_at < ?", 1),
        plan("DELETE FROM consumed WHERE received_at < ?", 1),
        plan("DELETE FROM waiters WHERE until_at < ?", 1),
        plan("DELETE FROM arrived_keys WHERE received_at < ?", 1),
        plan("SELECT rowid, body FROM waiters WHERE match_path IS NULL"),
        plan("SELECT rowid, body FROM waiters WHERE match_path = ? AND match_value = ?", "p", "v"),
        plan(
          "SELECT body FROM arrived WHERE received_at >= ? AND id NOT IN (SELECT event_id FROM consumed WHERE run_id = ? AND step_id != ?) ORDER BY received_at, id",
          1,
          "r",
          "s",
        ),
        plan(
          `SELECT a.body FROM arrived_keys k JOIN arrived a ON a.id = k.id
            WHERE k.path = ? AND k.value = ? AND k.received_at >= ? AND k.id NOT IN (SELECT event_id FROM consumed WHERE run_id = ? AND step_id != ?) ORDER BY k.received_at, k.id`,
          "p",
          "v",
          1,
          "r",
          "s",
        ),
        plan("SELECT 1 FROM waiters WHERE run_id = ? AND step_id = ?", "r", "s"),
        plan("DELETE FROM waiters WHERE run_id = ?", "r"),
      ];
    });
    for (const detail of plans)
      expect(detail).not.toMatch(/^SCAN (arrived|consumed|waiters|arrived_keys)\b|; SCAN (\w+)\b/);
    const expected = ["arrived_by_time", "consumed_by_time", "waiters_by_expiry", "arrived_keys_by_time"];
    expect(plans.slice(0, 4).map((detail, i) => detail.includes(expected[i]!))).toEqual([true, true, true, true]);
    expect(plans[4]).toContain("waiters_by_key");
    expect(plans[5]).toContain("waiters_by_key");
  });

  it("read as much for a delivery or a registration whether the index holds a hundred waiters and arrivals or ten times as many", async () => {
    const { env, runInDurableObject } = await import("cloudflare:test");
    const { WaitStore, createWaitTables } = await import("../durable-objects/waits/wait-store.ts");
    const index = env.WAITS.get(env.WAITS.idFromName(`growth-${crypto.randomUUID()}`));
    await index.forget("nobody");
    const reads = await runInDurableObject(index, async (_instance, state) => {
      // A store over the index's own SQLite that adds up the rows each statement reads.
      const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
      const counted = {
        exec: (query: string, ...args: unknown[]) => {
          const cursor = state.storage.sql.exec(query, ...args);
          cursors.push(cursor);
          return cursor;
        },
      } as SqlStorage;
      createWaitTables(state.storage.sql);
      const store = new WaitStore(() => counted);
      const rowsRead = (work: () => void): number => {
        cursors.length = 0;
        work();
        return cursors.reduce((sum, cursor) => sum + cursor.rowsRead, 0);
      };
      const now = Date.now();
      const runEvent = (n: number) => ({
        id: `start-${n}`,
        name: "order/created",
        data: { orderId: `o-${n}` },
        ts: now,
      });
      const waiter = (n: number) => ({
        runId: `run-${n}`,
        stepId: "payment",
        condition: "event.data.orderId == async.data.orderId",
        runEvent: runEvent(n),
        startedAt: now,
        lookbackMs: 0,
        until: now + 3_600_000,
      });
      const arrival = (n: number) => ({
        event: { id: `pay-${n}`, name: "payment/received", data: { orderId: `o-${n}` }, ts: now },
        receivedAt: now,
      });
      // Two waiters with no key: checked against every event, however many others there are.
      for (const n of [1, 2]) store.keep({ ...waiter(-n), condition: "async.data.amount > 10" });
      const measure = (held: number) => {
        for (let n = 0; n < held; n++) store.keep(waiter(n));
        store.arrive(Array.from({ length: held }, (_, n) => arrival(n)));
        const probe = held * 10;
        return {
          deliver: rowsRead(() => expect(store.candidates(arrival(probe + 1)).length).toBe(2)),
          register: rowsRead(() => expect(store.arrivals(now - 1_000, waiter(probe + 2))).toEqual([])),
          match: store.candidates(arrival(7)).map((w) => w.runId),
        };
      };
      return [measure(100), measure(1_000)];
    });
    const [small, large] = reads;
    console.log(
      `rows read per delivery ${small!.deliver} → ${large!.deliver}, per registration ${small!.register} → ${large!.register}`,
    );
    expect(large!.deliver).toBeLessThanOrEqual(small!.deliver * 1.5);
    expect(large!.register).toBeLessThanOrEqual(small!.register * 1.5);
    // The keyed waiter of the event's value is found, beside the unkeyed ones, oldest first.
    expect(large!.match).toEqual(["run--1", "run--2", "run-7"]);
  });
});
