/**
 * The soak's functions (`npm run soak`). Their steps record each side effect in a D1 table, which
 * outlives a `kill -9` of the dev server, so the soak counts effects that happened twice across
 * restarts; the limited one also measures, itself, how many of its steps ran at once.
 */
import { Stepwise } from "../sdk/index.ts";

const stepwise = new Stepwise({ id: "soak" });

/** Steps of `soak-limited` running right now, and the most there ever were in this isolate. */
export const limitedInFlight = { now: 0, max: 0 };

/** D1, as the Worker last saw it: steps run inside Durable Objects, which have no other way to it. */
let effectsDb: D1Database | undefined;

/** Called by the Worker on every request: the soak's steps write their effects there. */
export function useEffectsDb(db: D1Database): void {
  effectsDb = db;
}

export const EFFECTS_TABLE =
  "CREATE TABLE IF NOT EXISTS soak_effects (kind TEXT NOT NULL, key TEXT NOT NULL, at INTEGER NOT NULL)";

async function effect(kind: string, key: string): Promise<void> {
  // Right after a restart a step may run before any request has come in: it fails and is retried.
  if (!effectsDb) throw new Error("the soak's effects table is not known yet");
  await effectsDb
    .prepare("INSERT INTO soak_effects (kind, key, at) VALUES (?1, ?2, ?3)")
    .bind(kind, key, Date.now())
    .run();
}

export const soakLimited = stepwise.createFunction<{ key: string }>(
  { id: "soak-limited", concurrency: 5 },
  { event: "soak/limited" },
  async ({ event, step }) =>
    step.run("work", async () => {
      limitedInFlight.now++;
      limitedInFlight.max = Math.max(limitedInFlight.max, limitedInFlight.now);
      try {
        await effect("limited", event.data.key);
      } finally {
        limitedInFlight.now--;
      }
    }),
);

export const soakBurst = stepwise.createFunction<{ key: string }>(
  { id: "soak-burst" },
  { event: "soak/burst" },
  async ({ event, step }) => {
    await step.run("a", () => effect("burst-a", event.data.key));
    await step.run("b", () => effect("burst-b", event.data.key));
  },
);

export const soakSleeper = stepwise.createFunction<{ key: string; seconds: number }>(
  { id: "soak-sleeper" },
  { event: "soak/sleep" },
  async ({ event, step }) => {
    await step.run("before", () => effect("sleep-before", event.data.key));
    await step.sleep("nap", `${event.data.seconds}s`);
    await step.run("after", () => effect("sleep-after", event.data.key));
  },
);

export const soakFunctions = [soakLimited, soakBurst, soakSleeper];
