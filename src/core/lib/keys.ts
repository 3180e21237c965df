/**
 * Keys as the Worker's variables hold them (comma-separated, so a key can be rotated), and their
 * comparison in constant time: hashed first, so lengths leak nothing either. The API's middleware
 * and the dashboard's login both check keys this way.
 */

const encoder = new TextEncoder();

/** The keys in a comma-separated list (blanks dropped). */
export function keysOf(list: string | undefined): string[] {
  return (list ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter((key) => key !== "");
}

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

/** Whether `given` equals one of `keys`; every key is compared, so timing says nothing. */
export async function keyMatches(given: string, keys: string[]): Promise<boolean> {
  const target = await digest(given);
  let found = false;
  for (const key of keys) found = crypto.subtle.timingSafeEqual(await digest(key), target) || found;
  return found;
}
