/**
 * Checks the routes the prose names in inline code: `` `POST /v1/runs/:id/cancel` `` must be a
 * route with that method, `` `/v1/events` `` a route with any method. Tables of the HTTP API are
 * written this way, so a route renamed in the code fails the table that lists the old one.
 */
import { readFileSync } from "node:fs";
import { matches, type Route } from "./routes.ts";
import type { Problem } from "./typescript.ts";

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"];
const SPAN = /`(?:(GET|POST|PUT|DELETE|PATCH) )?(\/(?:v1|e|dashboard)(?:\/[^`\s]*)?)`/g;

export function checkInlineRoutes(root: string, file: string, routes: Route[]): Problem[] {
  const problems: Problem[] = [];
  readFileSync(`${root}/${file}`, "utf8")
    .split("\n")
    .forEach((line, index) => {
      for (const [, method, path = ""] of line.matchAll(SPAN)) {
        const found = (method ? [method] : METHODS).some((m) => routes.some((route) => matches(route, m, path)));
        if (!found)
          problems.push({
            file,
            line: index + 1,
            message: `${method ?? "any method"} ${path}: the Worker has no such route (see src/api/app.ts)`,
          });
      }
    });
  return problems;
}
