/**
 * Ids: ULIDs, so they sort by creation time and carry no coordination cost; and ids derived from
 * what caused a run, so the same cause delivered twice names the same run.
 */
import { encodeTime, monotonicFactory } from "ulid";

const next = monotonicFactory();
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A new ULID. */
export const newId = (): string => next();

/** Run ids accepted by the API: ULIDs and the ids Stepwise derives from them (e.g. `<id>.failure`). */
export const RUN_ID_PATTERN = /^[0-9A-Za-z][0-9A-Za-z._:-]{0,199}$/;

/**
 * A ULID-shaped id whose time part is `ts` and whose other 80 bits hash `parts`: the same parts
 * always give the same id (a redelivered event starts the same run), and ids still sort by time.
 */
export async function derivedId(ts: number, ...parts: string[]): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(parts))));
  let bits = 0n;
  for (const byte of digest.subarray(0, 10)) bits = (bits << 8n) | BigInt(byte);
  let tail = "";
  for (let i = 0; i < 16; i++) {
    tail = CROCKFORD[Number(bits & 31n)] + tail;
    bits >>= 5n;
  }
  return encodeTime(Math.max(0, Math.min(ts, 2 ** 48 - 1)), 10) + tail;
}
