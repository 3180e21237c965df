/**
 * Checks configuration blocks: TOML with wrangler's own reader (the one that will read the
 * wrangler.toml the block is part of), JSON with JSON.parse.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { experimental_readRawConfig } from "wrangler";
import type { Block } from "./blocks.ts";
import type { Problem } from "./typescript.ts";

// wrangler's declarations point at a package it bundles, so its types do not resolve: say what is used.
const readRawConfig: (args: { config: string }) => { rawConfig: unknown } = experimental_readRawConfig;

/** The 1-based line of the document a parse error points at, when it says. */
function errorLine(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("location" in error)) return undefined;
  const { location } = error;
  return typeof location === "object" && location !== null && "line" in location && typeof location.line === "number"
    ? location.line
    : undefined;
}

export function checkToml(blocks: Block[]): Problem[] {
  const dir = mkdtempSync(join(tmpdir(), "stepwise-docs-"));
  try {
    return blocks.flatMap((block, index) => {
      const file = join(dir, `${index}.toml`);
      writeFileSync(file, block.code);
      try {
        readRawConfig({ config: file });
        return [];
      } catch (error) {
        const line = block.line + (errorLine(error) ?? 1) - 1;
        return [{ file: block.file, line, message: `TOML: ${error instanceof Error ? error.message : String(error)}` }];
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function checkJson(block: Block): Problem[] {
  try {
    JSON.parse(block.code);
    return [];
  } catch (error) {
    return [
      {
        file: block.file,
        line: block.line,
        message: `JSON: ${error instanceof Error ? error.message : String(error)}`,
      },
    ];
  }
}
