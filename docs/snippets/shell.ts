/**
 * Checks a shell block: it parses (`bash -n`), every `npm run X` / `npm test` names a script of
 * the package the block runs in (the repository, or the directory its `cwd:` marker names), every
 * `npx stepwise <command>` is a command (and options) of the package's own `stepwise` bin, and
 * every curl to a Stepwise path (/v1, /e, /dashboard) names a route the Worker has, with the
 * method curl would use.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import type { Block } from "./blocks.ts";
import { matches, type Route } from "./routes.ts";
import type { Problem } from "./typescript.ts";

export const SHELL_LANGS = new Set(["sh", "bash", "shell"]);

/** The scripts of `dir`'s package.json (relative to the repository). */
function scriptsOf(root: string, dir: string): Set<string> | string {
  const file = `${root}/${dir}/package.json`;
  if (!existsSync(file)) return `no package.json in ${dir}`;
  const { scripts } = JSON.parse(readFileSync(file, "utf8")) as { scripts?: Record<string, string> };
  return new Set(Object.keys(scripts ?? {}));
}

/** The source of the repository's `stepwise` command (package.json "bin"), or why there is none. */
function stepwiseCommand(root: string): string {
  const { bin } = JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as { bin?: Record<string, string> };
  const file = bin?.stepwise;
  return file && existsSync(`${root}/${file}`) ? readFileSync(`${root}/${file}`, "utf8") : "";
}

/** What is wrong with `npx stepwise <args>`: the command and each option must be in its usage. */
function checkStepwiseCommand(source: string, args: string): string | undefined {
  if (source === "") return 'package.json has no "bin" named stepwise';
  const [command = "", ...rest] = args.trim().split(/\s+/);
  if (!source.includes(`stepwise ${command}`)) return `the stepwise command has no "${command}" (see its usage)`;
  const unknown = rest
    .filter((arg) => arg.startsWith("-"))
    .map((arg) => arg.split("=")[0]!)
    .filter((option) => !source.includes(option));
  return unknown.length > 0 ? `stepwise ${command} takes no ${unknown.join(", ")}` : undefined;
}

/** The block's commands with the line each starts on: continuation lines joined, comments dropped. */
function commandLines(code: string): { text: string; offset: number }[] {
  const commands: { text: string; offset: number }[] = [];
  let pending: { text: string; offset: number } | undefined;
  code.split("\n").forEach((raw, offset) => {
    const text = raw.replace(/(^|\s)#.*$/, "").trim();
    const command = pending ? { text: `${pending.text} ${text}`, offset: pending.offset } : { text, offset };
    pending = command.text.endsWith("\\") ? { text: command.text.slice(0, -1), offset: command.offset } : undefined;
    if (!pending && command.text !== "") commands.push(command);
  });
  return commands;
}

/** The method curl sends with these arguments. */
function curlMethod(args: string): string {
  const explicit = /(?:-X|--request)\s+([A-Z]+)/.exec(args);
  if (explicit) return explicit[1]!;
  if (/(^|\s)(-d|--data\S*|--json|-F|--form)(\s|=)/.test(args)) return "POST";
  return /(^|\s)(-I|--head)(\s|$)/.test(args) ? "HEAD" : "GET";
}

/** The Stepwise path a curl command calls, if it calls one. */
function curlPath(args: string): string | undefined {
  for (const word of args.split(/\s+/)) {
    const url = /^['"]?(?:https?:\/\/)?(?:[\w.-]+|\$\{?\w+\}?)(?::\d+)?(\/[^'"\s]*)['"]?$/.exec(word);
    if (url && /^\/(v1|e|dashboard)(\/|$)/.test(url[1]!)) return url[1];
  }
  return undefined;
}

export function checkShell(root: string, block: Block, routes: Route[]): Problem[] {
  const problems: Problem[] = [];
  const syntax = spawnSync("bash", ["-n"], { input: block.code, encoding: "utf8" });
  if (syntax.status !== 0) {
    const line = Number(/line (\d+)/.exec(syntax.stderr)?.[1] ?? 1);
    problems.push({ file: block.file, line: block.line + line - 1, message: `bash -n: ${syntax.stderr.trim()}` });
  }
  const dir = block.marker?.kind === "cwd" ? block.marker.value : ".";
  const scripts = scriptsOf(root, dir);
  for (const { text, offset } of commandLines(block.code)) {
    const at = (message: string): void => void problems.push({ file: block.file, line: block.line + offset, message });
    for (const [, run, short] of text.matchAll(/\bnpm (?:run(?:-script)?\s+([\w:.-]+)|(test|start)\b)/g)) {
      const script = (run ?? short)!;
      if (typeof scripts === "string") at(`npm run ${script}: ${scripts}`);
      else if (!scripts.has(script))
        at(
          `npm run ${script}: ${dir === "." ? "the repository's" : `${dir}'s`} package.json has no script "${script}"`,
        );
    }
    for (const [, args = ""] of text.matchAll(/\bnpx stepwise\s+([^|;&)]*)/g)) {
      const wrong = checkStepwiseCommand(stepwiseCommand(root), args);
      if (wrong) at(`npx stepwise ${args.trim()}: ${wrong}`);
    }
    for (const [, args = ""] of text.matchAll(/\bcurl\s+([^|;&)]*)/g)) {
      const path = curlPath(args);
      if (!path) continue;
      const method = curlMethod(args);
      if (!routes.some((route) => matches(route, method, path)))
        at(`curl ${method} ${path}: the Worker has no such route (see src/api/app.ts)`);
      // The API answers 415 to a JSON body sent under another type (curl -d sends a form type).
      const sendsBody = /(^|\s)(-d|--data\S*)(\s|=)/.test(args);
      if (sendsBody && /^\/(v1|e)\//.test(path) && !/content-type:\s*application\/json/i.test(args)) {
        at(
          `curl ${method} ${path}: a body needs -H 'content-type: application/json' (or --json), or the API answers 415`,
        );
      }
    }
  }
  return problems;
}
