/**
 * Checks a layout of the repository (a `<!-- tree -->` block): each entry line starts with a
 * path, indented under the directory it is in (`sdk/` then `  index.ts`); every such path must
 * exist. Lines indented as far as the descriptions are continuations of a description, not
 * entries; an entry marked *planned* need not exist yet.
 */
import { existsSync } from "node:fs";
import type { Block } from "./blocks.ts";
import type { Problem } from "./typescript.ts";

/** Entries are indented by nesting (two spaces a level); descriptions continue further right. */
const MAX_ENTRY_INDENT = 12;

export function checkTree(root: string, block: Block): Problem[] {
  const problems: Problem[] = [];
  const parents: { indent: number; dir: string }[] = [];
  block.code.split("\n").forEach((line, offset) => {
    const indent = line.length - line.trimStart().length;
    const [entry] = line.trim().split(/\s+/);
    if (!entry || indent > MAX_ENTRY_INDENT) return;
    while (parents.length > 0 && parents.at(-1)!.indent >= indent) parents.pop();
    const path = (parents.at(-1)?.dir ?? "") + entry;
    if (entry.endsWith("/")) parents.push({ indent, dir: path });
    if (!line.includes("*planned*") && !existsSync(`${root}/${path}`)) {
      problems.push({ file: block.file, line: block.line + offset, message: `${path} does not exist` });
    }
  });
  return problems;
}
