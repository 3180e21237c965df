import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import type { Schedule } from "../durable-objects/schedule/cron-plan.ts";
import { cronScheduler } from "../src/core/objects.ts";
import { client } from "./helpers.ts";
import { cronTicks } from "./event-functions.ts";

const target = { functionId: "weekly-report", cron: "0 9 * * MON", timezone: "Europe/Paris" };
const stub = () => cronScheduler(env, target);

/** Weekday and wall-clock time of `ms` in Paris. */
const paris = (ms: number): string =>
  new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Paris",
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
  }).format(ms);

afterAll(async () => {
  await runInDurableObject(stub(), (_instance, state) => state.storage.deleteAlarm());
});

describe("cron schedules", () => {
  it("are armed by the Worker itself, for 9:00 on Monday in Paris", async () => {
    await SELF.fetch("http://stepwise/");
    await expect.poll(async () => (await stub().describe())?.nextTick).toBeGreaterThan(Date.now());
    const schedule = (await stub().describe())!;
    expect(paris(schedule.nextTick)).toBe("Mon 09:00");
    expect(await runInDurableObject(stub(), (_instance, state) => state.storage.getAlarm())).toBe(schedule.nextTick);
  });

  it("fire at the right local time, week after week, when time is skipped", async () => {
    const seen: string[] = [];
    for (let week = 0; week < 3; week++) {
      const before = (await stub().describe())!.nextTick;
      const { runId, nextTick } = await stub().skipToNextTick();
      expect(runId).not.toBeNull();
      expect(nextTick! - before).toBeGreaterThanOrEqual(7 * 24 * 3600_000 - 3600_000);
      const run = await client.waitForEnd(runId!);
      expect(run.status).toBe("completed");
      seen.push(String(run.output));
    }
    expect(seen.map((iso) => paris(Date.parse(iso)))).toEqual(["Mon 09:00", "Mon 09:00", "Mon 09:00"]);
    expect(cronTicks.slice(-3)).toEqual(seen);
  });

  it("run a tick missed during downtime once, then resume from now", async () => {
    const missedTick = (await stub().describe())!.nextTick - 5 * 7 * 24 * 3600_000;
    await runInDurableObject(stub(), async (_instance, state) => {
      const stored = (await state.storage.get<Schedule>("schedule"))!;
      await state.storage.put("schedule", { ...stored, nextTick: missedTick });
      await state.storage.setAlarm(missedTick);
    });
    const ticksBefore = cronTicks.length;
    // A past alarm fires at once (or here, if it has not yet).
    await runDurableObjectAlarm(stub());
    await expect.poll(() => cronTicks.length).toBe(ticksBefore + 1);
    expect(cronTicks.at(-1)).toBe(new Date(missedTick).toISOString());
    const after = (await stub().describe())!.nextTick;
    expect(after).toBeGreaterThan(Date.now());
    expect(paris(after)).toBe("Mon 09:00");
    // The same alarm retried after a crash starts the same run: nothing twice.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cronTicks.length).toBe(ticksBefore + 1);
  });

  it("remove themselves when their trigger is gone", async () => {
    const gone = cronScheduler(env, { functionId: "weekly-report", cron: "0 8 * * *" });
    await gone.ensure({ functionId: "weekly-report", cron: "0 8 * * *" });
    await runInDurableObject(gone, (_instance, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(gone);
    expect(await gone.describe()).toBeNull();
  });
});
