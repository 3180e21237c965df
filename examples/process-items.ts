/**
 * Fan-out: one event names a batch of items; each item is processed in its own parallel step,
 * never more than 100 at once across all runs of the function (a downstream API's limit).
 */
import { stepwise } from "./client.ts";
import { recordEffect } from "./effects.ts";

interface BatchReady {
  batchId?: string;
  itemIds: string[];
}

/** Items being processed right now, and the most there ever were: what the concurrency limit caps. */
export const inFlight = { now: 0, max: 0 };

async function processItem(itemId: string): Promise<{ itemId: string; ok: true }> {
  inFlight.now++;
  inFlight.max = Math.max(inFlight.max, inFlight.now);
  try {
    // Stands in for a call to the downstream API.
    await new Promise((resolve) => setTimeout(resolve, 5));
    recordEffect("item.processed", itemId);
    return { itemId, ok: true };
  } finally {
    inFlight.now--;
  }
}

export const processItems = stepwise.createFunction<BatchReady>(
  { id: "process-items", name: "Process a batch of items", concurrency: 100 },
  { event: "items/batch-ready" },
  async ({ event, step }) => {
    const results = await Promise.all(
      event.data.itemIds.map((itemId) =>
        step.run({ id: "process", name: `process ${itemId}` }, () => processItem(itemId)),
      ),
    );
    return { processed: results.length };
  },
);
