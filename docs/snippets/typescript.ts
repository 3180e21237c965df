/**
 * Typechecks the TypeScript blocks of the docs with the repository's own compiler options, the
 * package's subpaths mapped to their sources. Every block is a module of its own (its prelude
 * first), and all of them go into one program: the SDK, zod and the Workers types are then read
 * and checked once, not once per block.
 */
import ts from "typescript";
import type { Block } from "./blocks.ts";

/** A block that does not pass, at the line of the Markdown file where the problem is. */
export interface Problem {
  file: string;
  line: number;
  message: string;
}

/** What users import, and the source each subpath is built from (package.json "exports"). */
export const SUBPATHS: Record<string, string> = {
  stepwise: "sdk/index.ts",
  "stepwise/worker": "src/worker.ts",
  "stepwise/testing": "sdk/testing/index.ts",
  "stepwise/node": "sdk/node.ts",
  "stepwise/realtime": "sdk/realtime/browser.ts",
  "stepwise/react": "sdk/realtime/react.ts",
};

export const TS_LANGS = new Set(["ts", "typescript", "tsx"]);

function compilerOptions(root: string): ts.CompilerOptions {
  const { config, error } = ts.readConfigFile(`${root}/tsconfig.json`, (path) => ts.sys.readFile(path));
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  return {
    ...options,
    noEmit: true,
    // A block without imports would otherwise be a script sharing one global scope with the others.
    moduleDetection: ts.ModuleDetectionKind.Force,
    // Examples of Node servers sit beside Worker code, as they do in the docs.
    types: [...(options.types ?? []), "node"],
    paths: Object.fromEntries(Object.entries(SUBPATHS).map(([name, source]) => [name, [`${root}/${source}`]])),
  };
}

interface Snippet {
  block: Block;
  text: string;
  /** Lines the prelude takes before the block's first line. */
  preludeLines: number;
}

function snippetOf(block: Block): Snippet {
  const prelude = block.marker?.kind === "prelude" ? `${block.marker.value}\n` : "";
  return { block, text: prelude + block.code, preludeLines: prelude === "" ? 0 : prelude.split("\n").length - 1 };
}

/** Where line `line` (0-based) of a snippet's text is in its Markdown file. */
function markdownLine(snippet: Snippet, line: number): number {
  const { block, preludeLines } = snippet;
  return line < preludeLines ? block.marker!.line + line : block.line + line - preludeLines;
}

/** Typechecks `blocks` (TypeScript blocks only) together; resolves with every error, by block. */
export function typecheck(root: string, blocks: Block[]): Problem[] {
  const options = compilerOptions(root);
  const snippets = new Map<string, Snippet>();
  for (const block of blocks) {
    // Beside the docs, so modules (hono, @cloudflare/…) resolve from the repository's node_modules.
    const name = `${root}/docs/.snippets/${block.file.replace(/[^A-Za-z0-9]/g, "_")}_${block.line}.${block.lang === "tsx" ? "tsx" : "ts"}`;
    snippets.set(name, snippetOf(block));
  }
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (path) => snippets.has(path) || fileExists.call(host, path);
  host.readFile = (path) => snippets.get(path)?.text ?? readFile.call(host, path);
  host.getSourceFile = (path, language, onError, create) => {
    const snippet = snippets.get(path);
    return snippet
      ? ts.createSourceFile(path, snippet.text, language, true)
      : getSourceFile.call(host, path, language, onError, create);
  };
  const program = ts.createProgram({ rootNames: [...snippets.keys()], options, host });
  const problems: Problem[] = program
    .getOptionsDiagnostics()
    .map((d) => ({ file: "tsconfig.json", line: 1, message: ts.flattenDiagnosticMessageText(d.messageText, "\n") }));
  for (const [name, snippet] of snippets) {
    const source = program.getSourceFile(name)!;
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const line = diagnostic.start === undefined ? 0 : source.getLineAndCharacterOfPosition(diagnostic.start).line;
      problems.push({
        file: snippet.block.file,
        line: markdownLine(snippet, line),
        message: `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`,
      });
    }
  }
  return problems;
}
