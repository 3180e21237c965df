/**
 * Document analysis: extract text, ask an LLM for a summary, save the result. The LLM call is a
 * stand-in that fails the first `failLlmTimes` attempts, to show a step retried on its own while
 * the steps before it are not run again.
 */
import { stepwise } from "./client.ts";
import { recordEffect } from "./effects.ts";

interface Uploaded {
  documentId: string;
  text?: string;
  failLlmTimes?: number;
}

function fakeLlmSummary(text: string): string {
  const words = text.split(/\s+/).filter(Boolean);
  return `${words.slice(0, 8).join(" ")}${words.length > 8 ? "…" : ""} (${words.length} words)`;
}

export const analyzeDocument = stepwise.createFunction<Uploaded>(
  { id: "analyze-document", name: "Analyze an uploaded document", retries: 3, backoff: { initial: "1s" } },
  { event: "doc/uploaded" },
  async ({ event, step, attempt }) => {
    const { documentId } = event.data;
    const text = await step.run("extract-text", () => {
      recordEffect("text.extracted", documentId);
      return event.data.text ?? `Document ${documentId} has no text layer; OCR output stands in here.`;
    });
    const summary = await step.run("call-llm", ({ logger }) => {
      // Kept with this attempt in the run's history, shown beside the step and exported over OTLP.
      logger.info("summarizing", { documentId, attempt, words: text.split(/\s+/).length });
      recordEffect("llm.called", documentId, { attempt });
      if (attempt < (event.data.failLlmTimes ?? 0)) throw new Error(`LLM unavailable (attempt ${attempt})`);
      return fakeLlmSummary(text);
    });
    await step.run("save-result", () => {
      recordEffect("result.saved", documentId, { summary });
      return { saved: true };
    });
    return { documentId, summary };
  },
);
