// The function in workerd, through the Worker's own HTTP API (SELF), as it runs when deployed.
import { SELF } from "cloudflare:test";
import { TestClient } from "stepwise/testing";
import { describe, expect, it } from "vitest";

const client = new TestClient((path, init) => SELF.fetch(path, init));

describe("hello", () => {
  it("is started by an app/hello event and greets after its sleep", async () => {
    const [eventId] = await client.send({ name: "app/hello", data: { name: "Ada" } });
    const [runId] = await client.runsOf(eventId!);
    const run = await client.waitForEnd(runId!, { skipTime: true });
    expect(run.status).toBe("completed");
    expect(run.output).toEqual({ greeting: "Hello, Ada" });
    expect(run.steps.map((step) => step.id)).toEqual(["compose-greeting", "pause"]);
  });

  it("can be invoked directly", async () => {
    const run = await client.run("hello", { name: "Grace" });
    expect(run.output).toEqual({ greeting: "Hello, Grace" });
  });
});
