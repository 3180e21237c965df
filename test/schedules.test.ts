/**
 * Schedules made at run time (`/v1/schedules`): created per tenant, ticking on an interval or a
 * cron in a zone, deduplicated by key, listed, paused, resumed, changed and deleted.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ScheduleView } from "../sdk/schedules.ts";
import { readSchedule, writeSchedule } from "../src/core/db/schedules.ts";
import { scheduleObject } from "../src/core/objects.ts";
import { client } from "./helpers.ts";
import { Stepwise } from "../sdk/index.ts";

const call = async (method: string, path: string, body?: unknown) =>
  SELF.fetch(`http://stepwise/v1/schedules${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const json = async <T = ScheduleView>(response: Response): Promise<T> => (await response.json()) as T;

describe("schedules made at run time", () => {
  it("ticks every 15 minutes for a tenant, starting a run with the schedule's data", async () => {
    const created = await call("POST", "", {
      functionId: "test-scheduled",
      interval: "15m",
      tenant: "acme",
      data: { report: "usage" },
    });
    expect(created.status).toBe(201);
    const schedule = await json(created);
    expect(schedule).toMatchObject({ functionId: "test-scheduled", interval: 900_000, tenant: "acme", paused: false });
    expect(Date.parse(schedule.nextRunAt!) - Date.parse(schedule.createdAt)).toBe(900_000);

    const { runId, nextTick } = await scheduleObject(env, schedule.id).skipToNextTick();
    expect(nextTick! - Date.parse(schedule.nextRunAt!)).toBe(900_000);
    const run = await client.waitForEnd(runId!);
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({
      scheduleId: schedule.id,
      scheduledAt: schedule.nextRunAt,
      interval: 900_000,
      tenant: "acme",
      data: { report: "usage" },
    });
    const read = await json(await call("GET", `/${schedule.id}`));
    expect(read).toMatchObject({ lastRunId: runId, lastRunAt: schedule.nextRunAt });
    expect(read.nextRunAt).toBe(new Date(nextTick!).toISOString());
  });

  it("a key makes creating again update the same schedule; another function's key is refused", async () => {
    const key = `digest-${crypto.randomUUID()}`;
    const first = await call("POST", "", { functionId: "test-scheduled", cron: "0 9 * * MON", key });
    expect(first.status).toBe(201);
    const again = await call("POST", "", {
      functionId: "test-scheduled",
      cron: "0 9 * * *",
      timezone: "Asia/Tokyo",
      key,
      data: { v: 2 },
    });
    expect(again.status).toBe(200);
    const [a, b] = [await json(first), await json(again)];
    expect(b).toMatchObject({ id: a.id, cron: "0 9 * * *", timezone: "Asia/Tokyo", data: { v: 2 }, key });
    expect(new Date(b.nextRunAt!).toISOString()).toMatch(/T00:00:00\.000Z$/);
    const taken = await call("POST", "", { functionId: "test-pausable", interval: "1h", key });
    expect(taken.status).toBe(409);
    expect(await taken.json()).toMatchObject({ error: { code: "schedule_key_taken" } });
  });

  it("lists by function and tenant, a page at a time", async () => {
    const tenant = `t-${crypto.randomUUID()}`;
    const ids: string[] = [];
    for (const interval of ["1h", "2h", "3h"])
      ids.push((await json(await call("POST", "", { functionId: "test-scheduled", interval, tenant }))).id);
    const first = await json<{ schedules: ScheduleView[]; nextCursor?: string }>(
      await call("GET", `?tenant=${tenant}&limit=2`),
    );
    expect(first.schedules.map((s) => s.id)).toEqual(ids.slice(0, 2));
    const second = await json<{ schedules: ScheduleView[]; nextCursor?: string }>(
      await call("GET", `?tenant=${tenant}&limit=2&cursor=${first.nextCursor}`),
    );
    expect(second.schedules.map((s) => s.id)).toEqual(ids.slice(2));
    expect(second.nextCursor).toBeUndefined();
    const byFunction = await json<{ schedules: ScheduleView[] }>(
      await call("GET", `?function=test-pausable&limit=200`),
    );
    expect(byFunction.schedules.some((s) => s.tenant === tenant)).toBe(false);
  });

  it("pauses (no tick, no next run), resumes from now, changes timing, and deletes", async () => {
    const { id } = await json(await call("POST", "", { functionId: "test-scheduled", interval: "5m" }));
    const paused = await json(await call("POST", `/${id}/pause`));
    expect(paused).toMatchObject({ paused: true, nextRunAt: null });
    expect(await scheduleObject(env, id).skipToNextTick()).toEqual({ runId: null, nextTick: null });
    const resumed = await json(await call("POST", `/${id}/resume`));
    expect(resumed.paused).toBe(false);
    expect(Date.parse(resumed.nextRunAt!)).toBeGreaterThan(Date.now());

    const changed = await json(await call("PATCH", `/${id}`, { cron: "30 6 * * *", timezone: "Europe/Paris" }));
    expect(changed).toMatchObject({ cron: "30 6 * * *", timezone: "Europe/Paris" });
    expect(changed.interval).toBeUndefined();

    expect(await json(await call("DELETE", `/${id}`))).toEqual({ id, deleted: true });
    expect((await call("GET", `/${id}`)).status).toBe(404);
    expect((await call("DELETE", `/${id}`)).status).toBe(404);
    expect(await scheduleObject(env, id).keptSchedule()).toBeNull();
  });

  it("a late or repeated telling never undoes a newer change, nor brings a deleted schedule back", async () => {
    const id = `sch_${crypto.randomUUID().replaceAll("-", "")}`;
    const object = scheduleObject(env, id);
    const base = { id, functionId: "test-scheduled", anchor: Date.now(), data: {}, interval: 900_000 };
    expect(await object.keepSchedule({ ...base, paused: true, version: 20 })).toMatchObject({ paused: true });
    // An older telling (a change that raced this one, and lost) changes nothing.
    expect(await object.keepSchedule({ ...base, paused: false, version: 10 })).toMatchObject({ paused: true });
    await object.dropSchedule(30);
    // A read that found the row just before the delete tells the object again, too late.
    expect(await object.keepSchedule({ ...base, paused: false, version: 25 })).toBeNull();
    expect(await object.keptSchedule()).toBeNull();
    // The same id made again later (a key reused) is kept.
    expect(await object.keepSchedule({ ...base, paused: false, version: 40 })).toMatchObject({ paused: false });
    await object.dropSchedule(50);
  });

  it("creating again by key keeps an operator's pause; a new cron without a zone keeps the zone", async () => {
    const key = `ensure-${crypto.randomUUID()}`;
    const body = { functionId: "test-scheduled", cron: "0 9 * * 1", timezone: "Asia/Tokyo", key };
    const { id } = await json(await call("POST", "", body));
    expect((await call("POST", `/${id}/pause`)).status).toBe(200);
    // An "ensure" on each sign-in does not resume it; saying paused: false does.
    expect(await json(await call("POST", "", body))).toMatchObject({ id, paused: true });
    expect(await json(await call("POST", "", { ...body, paused: false }))).toMatchObject({ id, paused: false });
    expect(await json(await call("PATCH", `/${id}`, { cron: "0 10 * * 1" }))).toMatchObject({
      cron: "0 10 * * 1",
      timezone: "Asia/Tokyo",
    });
    expect((await call("DELETE", `/${id}`)).status).toBe(200);
  });

  it("a read tells the object again when it keeps an older copy than D1's row", async () => {
    const schedule = await json(await call("POST", "", { functionId: "test-scheduled", interval: "1h" }));
    // A pause whose row was written but whose telling failed: the object still ticks.
    const row = (await readSchedule(env.DB, schedule.id))!;
    await writeSchedule(env.DB, { ...row, paused: true, updatedAt: row.updatedAt + 1_000 });
    expect(await scheduleObject(env, schedule.id).keptSchedule()).toMatchObject({ paused: false });
    expect(await json(await call("GET", `/${schedule.id}`))).toMatchObject({ paused: true, nextRunAt: null });
    expect(await scheduleObject(env, schedule.id).keptSchedule()).toMatchObject({ paused: true, nextTick: null });
    expect((await call("DELETE", `/${schedule.id}`)).status).toBe(200);
  });

  it("refuses bad schedules with the issues, and an unknown function with a 404", async () => {
    for (const [body, says] of [
      [{ functionId: "test-scheduled", cron: "0 9 * * *", interval: "1h" }, "not both"],
      [{ functionId: "test-scheduled" }, "give `cron`"],
      [{ functionId: "test-scheduled", interval: "10s" }, "from a minute to a year"],
      [{ functionId: "test-scheduled", cron: "every day" }, "Invalid cron expression"],
      [{ functionId: "test-scheduled", cron: "0 9 * * *", timezone: "Mars/Base" }, "IANA"],
      [{ functionId: "test-scheduled", interval: "1h", timezone: "UTC" }, "goes with a `cron`"],
      [{ functionId: "test-scheduled", interval: "1h", data: { blob: "x".repeat(70_000) } }, "64 KiB"],
      [{ functionId: "test-scheduled", interval: "1h", every: "day" }, "every"],
    ] as const) {
      const refused = await call("POST", "", body);
      expect(refused.status).toBe(400);
      expect(JSON.stringify(await refused.json())).toContain(says);
    }
    const unknown = await call("POST", "", { functionId: "no-such-fn", interval: "1h" });
    expect(unknown.status).toBe(404);
    expect((await call("GET", "/sch_nope")).status).toBe(404);
    expect((await call("PATCH", "/sch_01ARZ3NDEKTSV4RRFFQ69G5FAV", { paused: true })).status).toBe(404);
    expect((await call("PATCH", "/sch_01ARZ3NDEKTSV4RRFFQ69G5FAV", { paused: "yes" })).status).toBe(400);
  });

  it("over the binding and the client: create, list, pause, read and delete", async () => {
    const tenant = `rpc-${crypto.randomUUID()}`;
    const made = (await env.CALLER.call("createSchedule", [
      { functionId: "test-scheduled", interval: "30m", tenant, key: tenant },
    ])) as { ok: true; value: { schedule: ScheduleView; created: boolean } };
    expect(made).toMatchObject({ ok: true, value: { created: true, schedule: { tenant, interval: 1_800_000 } } });
    const id = made.value.schedule.id;
    expect(await env.CALLER.call("createSchedule", [{ functionId: "test-scheduled", cron: "nope" }])).toMatchObject({
      ok: false,
      code: "invalid_request",
    });
    expect(await env.CALLER.call("updateSchedule", ["sch_missing", { paused: true }])).toMatchObject({
      ok: false,
      code: "schedule_not_found",
      status: 404,
    });

    const overHttps = new Stepwise({
      id: "operator",
      baseUrl: "http://stepwise",
      apiKey: "unused-in-dev",
      fetch: (input, init) => SELF.fetch(input, init),
    });
    const again = await overHttps.schedules.create({
      functionId: "test-scheduled",
      interval: "30m",
      tenant,
      key: tenant,
    });
    expect(again).toMatchObject({ created: false, schedule: { id } });
    expect((await overHttps.schedules.list({ tenant })).schedules.map((s) => s.id)).toEqual([id]);
    expect((await overHttps.schedules.pause(id)).nextRunAt).toBeNull();
    expect((await overHttps.schedules.get(id))?.paused).toBe(true);
    expect(await overHttps.schedules.get("sch_01ARZ3NDEKTSV4RRFFQ69G5FAV")).toBeNull();
    expect(await overHttps.schedules.delete(id)).toBe(true);
    expect(await overHttps.schedules.delete(id)).toBe(false);
    expect(await env.CALLER.call("getSchedule", [id])).toEqual({ ok: true, value: null });
  });

  it("the dashboard lists schedules by tenant, and pauses, resumes and deletes them", async () => {
    const tenant = `dash-${crypto.randomUUID()}`;
    const { id } = await json(await call("POST", "", { functionId: "test-scheduled", cron: "0 8 * * *", tenant }));
    const html = async (path: string) => (await SELF.fetch(`http://stepwise${path}`)).text();
    const form = (action: string) =>
      SELF.fetch(`http://stepwise/dashboard/schedules/${id}/${action}`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://stepwise" },
      });
    const listed = await html(`/dashboard/schedules?tenant=${tenant}`);
    expect(listed).toContain(id);
    expect(listed).toContain("cron 0 8 * * * (UTC)");
    expect(listed).toContain(`/dashboard/schedules/${id}/pause`);
    expect(await html("/dashboard/runs")).toContain('href="/dashboard/schedules"');

    const paused = await form("pause");
    expect(paused.headers.get("location")).toBe("/dashboard/schedules?done=paused");
    expect(await html(`/dashboard/schedules?tenant=${tenant}&done=paused`)).toContain("Schedule paused.");
    expect((await json(await call("GET", `/${id}`))).paused).toBe(true);
    await form("resume");
    expect((await json(await call("GET", `/${id}`))).paused).toBe(false);
    expect((await form("delete")).headers.get("location")).toBe("/dashboard/schedules?done=deleted");
    expect(await html(`/dashboard/schedules?tenant=${tenant}`)).not.toContain(id);
    expect((await form("delete")).status).toBe(404);
  });
});
