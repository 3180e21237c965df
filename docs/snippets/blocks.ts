/**
 * The fenced code blocks of the Markdown docs, with the marker that may precede each one.
 *
 * A marker is an HTML comment ending on the line right above the opening fence (invisible on
 * GitHub, so the reader sees only the example):
 *
 * - `<!-- prelude: …TypeScript… -->` (ts blocks): code put before the block when it is
 *   typechecked, declaring what the example takes from around it (`env`, a handler's `step`…).
 *   A block that is a fragment of a larger program says so with its prelude.
 * - `<!-- cwd: templates/embedded -->` (sh blocks): the package whose scripts the commands run.
 * - `<!-- tree -->` (text blocks): a layout of the repository; every path it names must exist.
 *
 * Any other comment in that place is an error, so a mistyped marker is never ignored.
 */
import { readFileSync } from "node:fs";

export interface Marker {
  kind: "prelude" | "cwd" | "tree";
  value: string;
  /** 1-based line where `value` begins. */
  line: number;
}

export interface Block {
  /** Path of the Markdown file, relative to the repository. */
  file: string;
  /** 1-based line of the block's first line of code (the line after the fence). */
  line: number;
  /** The info string's first word, lower-cased ("" when there is none). */
  lang: string;
  code: string;
  marker?: Marker;
}

/** A block that cannot be read: an unclosed fence, an unknown marker. */
export interface BlockError {
  file: string;
  line: number;
  message: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)/;
const MARKER = /^\s*<!--\s*(prelude|cwd|tree)\b:?([\s\S]*?)-->\s*$/d;

/** The HTML comment that ends on line `end` (0-based index), if any: its text and first line. */
function commentEndingAt(lines: string[], end: number): { text: string; start: number } | undefined {
  if (end < 0 || !lines[end]!.trimEnd().endsWith("-->")) return undefined;
  for (let start = end; start >= 0; start--) {
    if (lines[start]!.trimStart().startsWith("<!--")) return { text: lines.slice(start, end + 1).join("\n"), start };
  }
  return undefined;
}

/** Reads every fenced block of `file` (relative to `root`). */
export function readBlocks(root: string, file: string): { blocks: Block[]; errors: BlockError[] } {
  const lines = readFileSync(`${root}/${file}`, "utf8").split("\n");
  const blocks: Block[] = [];
  const errors: BlockError[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent = "", fence = "", info = ""] = open;
    const close = new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end]!)) end++;
    if (end >= lines.length) {
      errors.push({ file, line: i + 1, message: "code fence never closed" });
      break;
    }
    // Blocks inside list items are indented with the item: that indentation is not code.
    const code = lines
      .slice(i + 1, end)
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()))
      .join("\n");
    const block: Block = { file, line: i + 2, lang: info.toLowerCase(), code };
    const comment = commentEndingAt(lines, i - 1);
    if (comment) {
      const marker = MARKER.exec(comment.text);
      if (marker) {
        // The value's own first line, so a prelude's errors point into the comment.
        const raw = marker[2]!;
        const before = comment.text.slice(0, marker.indices![2]![0] + raw.length - raw.trimStart().length);
        block.marker = {
          kind: marker[1] as Marker["kind"],
          value: raw.trim(),
          line: comment.start + before.split("\n").length,
        };
      } else {
        errors.push({
          file,
          line: comment.start + 1,
          message: "the comment above this code block is not a marker (prelude:, cwd: or tree)",
        });
      }
    }
    blocks.push(block);
    i = end;
  }
  return { blocks, errors };
}
