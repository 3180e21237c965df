/**
 * Test helper: a Durable Object as a restart leaves it. Its instance is gone, and the next thing to
 * reach it (the runtime's alarm) comes by id alone, so the fresh instance has no `ctx.id.name`.
 */
import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";

/** Aborts `stub`'s instance and returns a stub that reaches the object by id alone. */
export async function restartedWithoutName<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  stub: DurableObjectStub<T>,
): Promise<DurableObjectStub<T>> {
  await expect(runInDurableObject(stub, (_instance, state) => state.abort("restart"))).rejects.toThrow("restart");
  const unnamed = namespace.get(namespace.idFromString(stub.id.toString()));
  expect(await runInDurableObject(unnamed, (_instance, state) => state.id.name)).toBeUndefined();
  return unnamed;
}
