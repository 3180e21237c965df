/**
 * The Durable Objects' RPC methods check what they are given, the one way (parseInput): a
 * malformed argument is refused with an InvalidInputError naming it and the issue, and changes nothing.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const refusal = async (call: () => Promise<unknown>): Promise<string> => {
  try {
    await call();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error("the call was not refused");
};

describe("object RPC inputs", () => {
  it("are refused with the issue when malformed: singleton, rate, collector, wait registration and delivery, cancel", async () => {
    const gate = env.GATES.get(env.GATES.idFromName(`inputs-${crypto.randomUUID()}`));
    expect(await refusal(() => gate.singleton("", "skip"))).toMatch(/Invalid run id/);
    expect(await refusal(() => gate.singleton("run", "maybe" as "skip"))).toMatch(/Invalid singleton mode/);
    expect(await refusal(() => gate.rate({ limit: 0, periodMs: 1_000, burst: 0 }, "wait"))).toMatch(/Invalid rate/);
    const collector = env.COLLECTORS.get(env.COLLECTORS.idFromName(`inputs-${crypto.randomUUID()}`));
    expect(
      await refusal(() =>
        collector.add(
          { kind: "batch", functionId: "f", maxSize: 0, timeoutMs: 1 },
          { id: "e", name: "n", data: {}, ts: 0 },
        ),
      ),
    ).toMatch(/Invalid collector spec/);
    const index = env.WAITS.get(env.WAITS.idFromName(`inputs-${crypto.randomUUID()}`));
    expect(await refusal(() => index.deliver([{ event: { id: "e" }, receivedAt: "now" } as never]))).toMatch(
      /Invalid arriving events/,
    );
    expect(await refusal(() => index.register({ runId: "r" } as never))).toMatch(/Invalid waiter/);
    expect(await refusal(() => index.forget(42 as unknown as string))).toMatch(/Invalid run id/);
    const run = env.RUN.get(env.RUN.idFromName(`inputs-${crypto.randomUUID()}`));
    expect(await refusal(() => run.cancel({ reason: "x" } as unknown as string))).toMatch(/Invalid cancel reason/);
  });
});
