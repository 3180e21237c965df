/**
 * Functions that wait for tokens: one hands its token out in a step before waiting (the URL goes
 * to someone), one waits on a token it makes itself (the run's view shows it).
 */
import { Stepwise } from "../sdk/index.ts";

const stepwise = new Stepwise({ id: "token-tests" });

/** Creates a token, "sends" its URL (the step's output), maybe sleeps, waits, and says how it ended. */
export const tokenApproval = stepwise.createFunction<{ timeout?: string; secret?: string; pause?: boolean }>(
  { id: "token-approval" },
  [],
  async ({ event, step }) => {
    const token = await step.createToken("approval-token", {
      timeout: event.data.timeout ?? "1h",
      ...(event.data.secret ? { secret: event.data.secret } : {}),
    });
    await step.run("notify", () => ({ url: token.url }));
    // A completion may come before the wait begins: it is kept for it.
    if (event.data.pause) await step.sleep("pause", "1h");
    const answer = await step.waitForToken("approval", token);
    const after = await step.run("after", () => (answer ? { approved: answer.data } : "expired"));
    return after;
  },
);

/** Waits on a token of its own; two of them in parallel, completed in either order. */
export const tokenInline = stepwise.createFunction<{ parallel?: boolean }>(
  { id: "token-inline" },
  [],
  async ({ event, step }) => {
    if (!event.data.parallel) {
      const answer = await step.waitForToken("approve", { timeout: "1h" });
      return answer ? answer.data : "expired";
    }
    const answers = await Promise.all([
      step.waitForToken("left", { timeout: "1h" }),
      step.waitForToken("right", { timeout: "1h" }),
    ]);
    return answers.map((answer) => answer?.data ?? null);
  },
);

/** A token wait given something that is not a token this run made. */
export const tokenForeign = stepwise.createFunction<{ tokenId: string }>(
  { id: "token-foreign" },
  [],
  async ({ event, step }) => {
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    return step.waitForToken("foreign", { id: event.data.tokenId, url: "", expiresAt });
  },
);

export const tokenFunctions = [tokenApproval, tokenInline, tokenForeign];

/** Words of a made-up answer, one every `gapMs`, as an LLM's token stream would come. */
async function* words(text: string, gapMs: number): AsyncGenerator<string> {
  for (const word of text.split(/(?<= )/)) {
    await new Promise((resolve) => setTimeout(resolve, gapMs));
    yield word;
  }
}

/**
 * Streams an answer to a realtime stream word by word (best-effort, in its step), then publishes a
 * durable "done"; with `hold`, sleeps first, so a test can subscribe before anything happens.
 */
export const realtimeReply = stepwise.createFunction<{ stream: string; text: string; gapMs?: number; hold?: boolean }>(
  { id: "realtime-reply" },
  [],
  async ({ event, step }) => {
    if (event.data.hold) await step.sleep("hold", "1h");
    await step.run("think", ({ metadata }) => metadata.set("phase", "answering"));
    const text = await step.run("answer", ({ pipe }) =>
      pipe(event.data.stream, words(event.data.text, event.data.gapMs ?? 5)),
    );
    await step.publish("done", event.data.stream, { done: true });
    await step.run("finish", ({ metadata }) => metadata.set("phase", "done"));
    return { text };
  },
);

tokenFunctions.push(realtimeReply);
