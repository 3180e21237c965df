/** The most of `spans` that were open at one moment (a span ending as another starts does not overlap it). */
export function maxOverlap(spans: { start: number; end: number }[]): number {
  const edges = spans.flatMap((span) => [
    { at: span.start, delta: 1 },
    { at: span.end, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let max = 0;
  for (const edge of edges) max = Math.max(max, (open += edge.delta));
  return max;
}
