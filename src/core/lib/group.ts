/**
 * Grouping items by a key (events by shard, claims by shard, runs by event), keeping the order
 * items came in within each group and the order keys first appeared. One array per group,
 * appended to, so grouping n items is O(n).
 */

/** The items grouped by `keyOf`, in order. */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
