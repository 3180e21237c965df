/**
 * The TestEngine with what runs share with their users: metadata, realtime messages (kept in
 * memory, durable ones once) and wait tokens (mocked with the completion's body).
 */
import { describe, expect, it } from "vitest";
import { Stepwise } from "../index.ts";
import { TestEngine } from "./index.ts";

const stepwise = new Stepwise({ id: "test" });

const answer = stepwise.createFunction<{ question: string }>({ id: "answer" }, [], async ({ event, step, runId }) => {
  const text = await step.run("draft", async ({ metadata, pipe }) => {
    metadata.set("stage", "drafting");
    return pipe(
      `replies/${runId}`,
      (async function* () {
        yield `Re: ${event.data.question} `;
        yield "done.";
      })(),
    );
  });
  await step.publish("done", `replies/${runId}`, { length: text.length });
  const review = await step.waitForToken<{ approved: boolean }>("review", { timeout: "1h" });
  await step.run("finish", ({ metadata }) => metadata.increment("reviews"));
  return { text, approved: review?.data.approved ?? false };
});

describe("TestEngine: metadata, realtime and wait tokens", () => {
  it("keeps what the run published and its metadata; a mocked token wait returns the body", async () => {
    const engine = new TestEngine(answer, { events: [{ name: "x", data: { question: "refunds" } }] });
    const { result, published, metadata } = await engine.execute({
      steps: [{ id: "review", handler: () => ({ approved: true }) }],
    });
    expect(result).toEqual({ text: "Re: refunds done.", approved: true });
    expect(published.map((m) => [m.stream, m.seq, m.data])).toEqual([
      ["replies/test-run", 1, "Re: refunds "],
      ["replies/test-run", 2, "done."],
      ["replies/test-run", 3, { length: 17 }],
    ]);
    expect(published[2]?.id).toBe("test-run/done");
    expect(metadata).toEqual({ stage: "drafting", reviews: 1 });
  });

  it("an unmocked token wait times out: null", async () => {
    const engine = new TestEngine(answer, { events: [{ name: "x", data: { question: "q" } }] });
    const { result, state } = await engine.execute();
    expect(result).toMatchObject({ approved: false });
    expect(state.review).toMatchObject({ output: null, timedOut: true });
  });
});
