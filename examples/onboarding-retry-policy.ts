/**
 * A Temporal-style retry policy: three activities, each with at most 3 attempts and a backoff
 * coefficient of 2 (1 s, then 2 s). `failures` in the event makes an activity fail that many times.
 */
import { NonRetriableError } from "../sdk/index.ts";
import { stepwise } from "./client.ts";
import { recordEffect } from "./effects.ts";

interface Requested {
  userId: string;
  failures?: Partial<Record<"create-account" | "provision-storage" | "notify-crm", number>>;
}

const ACTIVITIES = ["create-account", "provision-storage", "notify-crm"] as const;

export const onboardingRetryPolicy = stepwise.createFunction<Requested>(
  { id: "onboarding-retry-policy", retries: 2, backoff: { initial: "1s", coefficient: 2, max: "1m" } },
  { event: "user/onboarding-requested" },
  async ({ event, step, attempt }) => {
    const done: string[] = [];
    for (const activity of ACTIVITIES) {
      await step.run(activity, () => {
        recordEffect(`activity.${activity}`, event.data.userId, { attempt });
        const failures = event.data.failures?.[activity] ?? 0;
        if (failures < 0) throw new NonRetriableError(`${activity} refused the request`);
        if (attempt < failures) throw new Error(`${activity} failed on attempt ${attempt + 1}`);
        return { activity, attempts: attempt + 1 };
      });
      done.push(activity);
    }
    return { userId: event.data.userId, done };
  },
);
