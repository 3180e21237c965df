/** The function this app brings: greet someone after a short pause. */
import { Stepwise } from "stepwise";

export const stepwise = new Stepwise({ id: "my-app" });

export const hello = stepwise.createFunction<{ name: string }>(
  { id: "hello" },
  { event: "app/hello" },
  async ({ event, step }) => {
    const greeting = await step.run("compose-greeting", () => `Hello, ${event.data.name}`);
    await step.sleep("pause", "1s");
    return { greeting };
  },
);
