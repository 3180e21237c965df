/** This app's durable functions: Stepwise runs them by calling /api/stepwise. */
import { Stepwise } from "stepwise";

export const stepwise = new Stepwise({ id: "my-app" });

export const welcome = stepwise.createFunction<{ email: string }>(
  { id: "send-welcome" },
  { event: "user/created" },
  async ({ event, step }) => {
    const message = await step.run("compose", () => `Welcome aboard, ${event.data.email}`);
    await step.sleep("settle", "1s");
    return step.run("deliver", () => ({ to: event.data.email, message }));
  },
);

export const functions = [welcome];
