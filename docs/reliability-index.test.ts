/**
 * test/RELIABILITY.md stays true: every file it names exists and holds the test title it quotes,
 * and each of the ten kinds has at least one test.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module of the repository's scripts, without types
import { reliabilityEntries } from "../scripts/reliability-files.mjs";

const root = new URL("../", import.meta.url);
const markdown = readFileSync(new URL("test/RELIABILITY.md", root), "utf8");
const entries = reliabilityEntries(markdown) as { file: string; title: string }[];

describe("the reliability index", () => {
  it("names ten kinds, each with tests", () => {
    const kinds = markdown.split(/^## /m).filter((section) => /^\d+\. /.test(section));
    expect(kinds.map((section) => Number(section.split(".")[0]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const section of kinds) expect(reliabilityEntries(section).length, section.split("\n")[0]).toBeGreaterThan(0);
  });

  it.each(entries.map((entry) => [entry.file, entry.title]))("%s holds the test %s", (file, title) => {
    const path = new URL(file, root);
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, "utf8")).toContain(`"${title}"`);
  });
});
