// The reliability suite's entries, read from test/RELIABILITY.md (the one list): each names a test
// file and a test's title. Used by `npm run test:reliability` and by docs/reliability-index.test.ts.
import { readFileSync } from "node:fs";

/** @returns {{ file: string, title: string }[]} */
export function reliabilityEntries(
  markdown = readFileSync(new URL("../test/RELIABILITY.md", import.meta.url), "utf8"),
) {
  return [...markdown.matchAll(/^- `([^`]+\.test\.ts)` › "(.+?)"/gm)].map(([, file, title]) => ({
    file: String(file),
    title: String(title),
  }));
}
