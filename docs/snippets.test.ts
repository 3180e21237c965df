/**
 * Every code block of README.md and docs/*.md is checked, so the docs cannot drift from the code:
 * TypeScript is typechecked against the sources (docs/snippets/typescript.ts), TOML and JSON
 * parse, shell commands name real scripts and routes, layouts name real files. A block in a
 * language nothing checks fails, so none is skipped. Markers: docs/snippets/blocks.ts.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readBlocks, type Block } from "./snippets/blocks.ts";
import { checkJson, checkToml } from "./snippets/config.ts";
import { readRoutes } from "./snippets/routes.ts";
import { checkShell, SHELL_LANGS } from "./snippets/shell.ts";
import { checkTree } from "./snippets/tree.ts";
import { TS_LANGS, typecheck, type Problem } from "./snippets/typescript.ts";
import { checkInlineRoutes } from "./snippets/inline-routes.ts";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const files = [
  "README.md",
  ...readdirSync(`${root}/docs`)
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
];
const read = files.map((file) => readBlocks(root, file));
const blocks = read.flatMap((r) => r.blocks);
const routes = readRoutes(root);

const where = (problems: Problem[]): string[] => problems.map((p) => `${p.file}:${p.line}: ${p.message}`);

/** The block's marker, when it is not one this kind of block takes. */
function misplacedMarker(block: Block, allowed: string): Problem[] {
  const kind = block.marker?.kind;
  return kind && kind !== allowed
    ? [
        {
          file: block.file,
          line: block.line,
          message: `a ${kind} marker does not apply to a ${block.lang || "plain"} block`,
        },
      ]
    : [];
}

describe("code blocks of the docs", () => {
  it("are read whole, and are in a language that is checked", () => {
    const known = (lang: string): boolean =>
      TS_LANGS.has(lang) || SHELL_LANGS.has(lang) || ["toml", "json", "text"].includes(lang);
    const unknown = blocks.filter((block) => !known(block.lang));
    const problems = [
      ...read.flatMap((r) => r.errors),
      ...unknown.map((b) => ({
        ...b,
        message: `\`\`\`${b.lang || "(no language)"} is not checked: use ts, sh, toml, json, or text with a tree marker`,
      })),
    ];
    expect(where(problems)).toEqual([]);
    expect(blocks.length).toBeGreaterThan(20);
  });

  // A whole-program typecheck: seconds of CPU, more on a machine busy with other test files.
  it("TypeScript blocks typecheck against the package's sources", { timeout: 60_000 }, () => {
    const ts = blocks.filter((block) => TS_LANGS.has(block.lang));
    expect(where([...ts.flatMap((b) => misplacedMarker(b, "prelude")), ...typecheck(root, ts)])).toEqual([]);
  });

  it("shell blocks parse, and run scripts and routes that exist", () => {
    const sh = blocks.filter((block) => SHELL_LANGS.has(block.lang));
    expect(where(sh.flatMap((b) => [...misplacedMarker(b, "cwd"), ...checkShell(root, b, routes)]))).toEqual([]);
  });

  it("TOML and JSON blocks parse", () => {
    const config = blocks.filter((block) => block.lang === "toml" || block.lang === "json");
    const problems = [
      ...config.flatMap((b) => misplacedMarker(b, "none")),
      ...checkToml(config.filter((b) => b.lang === "toml")),
      ...config.filter((b) => b.lang === "json").flatMap(checkJson),
    ];
    expect(where(problems)).toEqual([]);
  });

  it("text blocks are layouts of the repository, and name files that exist", () => {
    const text = blocks.filter((block) => block.lang === "text");
    const unmarked = text
      .filter((b) => b.marker?.kind !== "tree")
      .map((b) => ({ ...b, message: "a text block needs a <!-- tree --> marker (nothing else checks text)" }));
    expect(
      where([...unmarked, ...text.filter((b) => b.marker?.kind === "tree").flatMap((b) => checkTree(root, b))]),
    ).toEqual([]);
  });

  it("HTTP routes named in the prose exist", () => {
    expect(where(files.flatMap((file) => checkInlineRoutes(root, file, routes)))).toEqual([]);
  });
});
