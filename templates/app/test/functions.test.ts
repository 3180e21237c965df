// The app's functions in Stepwise's in-memory engine (plain Node), and its serve() handler.
import { serve, Stepwise } from "stepwise";
import { TestEngine } from "stepwise/testing";
import { describe, expect, it } from "vitest";
import { functions, welcome } from "../src/functions.ts";

describe("send-welcome", () => {
  it("composes, sleeps and delivers", async () => {
    const engine = new TestEngine(welcome, { events: [{ name: "user/created", data: { email: "ada@example.com" } }] });
    const { result, steps } = await engine.execute();
    expect(result).toEqual({ to: "ada@example.com", message: "Welcome aboard, ada@example.com" });
    expect(steps.map((step) => step.id)).toEqual(["compose", "settle", "deliver"]);
  });

  it("refuses an unsigned call from anyone but Stepwise", async () => {
    const handler = serve({
      client: new Stepwise({ id: "my-app" }),
      functions,
      signingKey: "a-test-signing-key-0123456789",
    });
    const response = await handler(new Request("http://my-app/api/stepwise", { method: "POST", body: "{}" }));
    expect(response.status).toBe(401);
  });
});
