/**
 * Event ids from the `x-inngest-event-id-seed` header the SDK sends with every `inngest.send` and
 * `step.sendEvent` (`<ms>,<base64 of 10 random bytes>`), made as Inngest's server makes them: a
 * ULID of that time whose entropy is those bytes with the event's 1-based index added to the last
 * four. The SDK keeps the seed when it retries a send, so a retried send names the same events and
 * Stepwise records them once.
 */
import { encodeTime } from "ulid";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const SEED = /^(\d{1,15}),([A-Za-z0-9+/]+={0,2})$/;

/** The ids of `count` events sent under `seed`; undefined when the seed is not one the SDK makes. */
export function seededEventIds(seed: string | null | undefined, count: number): string[] | undefined {
  const match = SEED.exec(seed?.trim() ?? "");
  if (!match?.[1] || !match[2]) return undefined;
  const ms = Number(match[1]);
  if (ms > 2 ** 48 - 1) return undefined;
  let entropy: Uint8Array;
  try {
    entropy = Uint8Array.from(atob(match[2]), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
  if (entropy.length !== 10) return undefined;
  const view = new DataView(entropy.buffer);
  const base = view.getUint32(6);
  const time = encodeTime(ms, 10);
  return Array.from({ length: count }, (_, index) => {
    const bytes = entropy.slice();
    new DataView(bytes.buffer).setUint32(6, (base + index + 1) >>> 0);
    return time + crockford(bytes);
  });
}

/** 80 bits as 16 Crockford base-32 characters. */
function crockford(bytes: Uint8Array): string {
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let text = "";
  for (let i = 0; i < 16; i++) {
    text = CROCKFORD[Number(bits & 31n)] + text;
    bits >>= 5n;
  }
  return text;
}
