/**
 * The routes the Stepwise Worker answers, read from its Hono sources: starting at src/api/app.ts,
 * every `.get/.post/.put/.delete/.patch("/path", …)` call, and every `.route("/prefix", sub)`
 * followed into the file `sub` is imported from. Read from the source rather than kept as a list,
 * so a route renamed in the code fails the docs that still name the old one.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import ts from "typescript";

export interface Route {
  method: string;
  /** Hono's pattern: `/v1/runs/:id/wake`. */
  path: string;
}

const METHODS = new Set(["get", "post", "put", "delete", "patch"]);

const join = (prefix: string, path: string): string => (prefix + path).replace(/\/+/g, "/").replace(/(.)\/$/, "$1");

/** The file each imported name of `source` comes from. */
function importsOf(source: ts.SourceFile, file: string): Map<string, string> {
  const imports = new Map<string, string>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const from = statement.moduleSpecifier.text;
    const bindings = statement.importClause?.namedBindings;
    if (!from.startsWith(".") || !bindings || !ts.isNamedImports(bindings)) continue;
    for (const element of bindings.elements) imports.set(element.name.text, resolve(dirname(file), from));
  }
  return imports;
}

function routesIn(file: string, prefix: string, routes: Route[]): void {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const imports = importsOf(source, file);
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const name = node.expression.name.text;
      const [path, target] = node.arguments;
      if (path && ts.isStringLiteral(path) && path.text.startsWith("/")) {
        if (METHODS.has(name)) routes.push({ method: name.toUpperCase(), path: join(prefix, path.text) });
        const sub = name === "route" && target && ts.isIdentifier(target) ? imports.get(target.text) : undefined;
        if (sub) routesIn(sub, join(prefix, path.text), routes);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}

/** Every route of the Worker's HTTP app. */
export function readRoutes(root: string): Route[] {
  const routes: Route[] = [];
  routesIn(`${root}/src/api/app.ts`, "", routes);
  return routes;
}

/** A placeholder in a documented path: `:id`, `<runId>`, `$RUN_ID`, `${runId}`, `{id}`. */
const PLACEHOLDER = /^(:\w+|<[^>]+>|\$\{?\w+\}?|\{\w+\})$/;

/** Whether `path` (as the docs write it, query string allowed) is answered by `route`. */
export function matches(route: Route, method: string, path: string): boolean {
  if (route.method !== method) return false;
  const want = join("", path.split(/[?#]/)[0]!).split("/");
  const have = route.path.split("/");
  if (want.length !== have.length) return false;
  return have.every((segment, i) => {
    const given = want[i]!;
    // A placeholder stands for a parameter, never for a fixed word the route has there.
    if (segment.startsWith(":")) return given !== "" && (PLACEHOLDER.test(given) || !given.includes("$"));
    return !PLACEHOLDER.test(given) && segment === given;
  });
}
