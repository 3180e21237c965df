/**
 * The hash that spreads keys over shards: 32-bit FNV-1a over UTF-16 code units. Cheap, stable
 * across isolates and deployments (a shard is found by it), and it can be continued from a prefix.
 */

/** FNV-1a of `text`, continued from `hash` (the hash of what came before it). */
export function fnv1a(text: string, hash = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
