/**
 * A support reply drafted by a (stand-in) LLM, streamed word by word to the agent's browser as it
 * is written, then held for the agent's review through a wait token. The page watches the run and
 * the stream `replies/<runId>` with `stepwise/react` (useRun, useStream).
 */
import { stepwise } from "./client.ts";
import { recordEffect } from "./effects.ts";

interface TicketOpened {
  ticketId: string;
  question: string;
  /** Waits this long before drafting (a demo's page subscribes meanwhile); none by default. */
  startAfter?: string;
  /** Milliseconds between words of the stand-in LLM. */
  wordMs?: number;
}

/** A stand-in for an LLM's streamed answer: a few words, one every `wordMs`. */
async function* draftWords(question: string, wordMs: number): AsyncGenerator<string> {
  const answer = `Thanks for asking about "${question}". Here is what we found and what to do next.`;
  for (const word of answer.split(/(?<= )/)) {
    await new Promise((resolve) => setTimeout(resolve, wordMs));
    yield word;
  }
}

export const draftReply = stepwise.createFunction<TicketOpened>(
  { id: "draft-reply", name: "Draft a support reply" },
  { event: "support/ticket-opened" },
  async ({ event, step, runId }) => {
    if (event.data.startAfter) await step.sleep("queue", event.data.startAfter);
    const draft = await step.run("draft", ({ metadata, pipe }) => {
      metadata.set("stage", "drafting");
      return pipe(`replies/${runId}`, draftWords(event.data.question, event.data.wordMs ?? 40));
    });
    const review = await step.waitForToken<{ approved: boolean }>("review", { timeout: "1 day" });
    const sent = review?.data.approved === true;
    await step.run("send", ({ metadata }) => {
      metadata.set("stage", sent ? "sent" : "discarded");
      if (sent) recordEffect("reply.sent", event.data.ticketId, { draft });
      return { sent };
    });
    return { ticketId: event.data.ticketId, sent, draft };
  },
);
