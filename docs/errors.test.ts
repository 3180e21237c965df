import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_NAMES } from "../sdk/error-names.ts";
import * as sdk from "../sdk/index.ts";

const page = readFileSync(new URL("./errors.md", import.meta.url), "utf8");
/** The first cell of each row of a table: the name it documents. */
const namesIn = (table: string): string[] => [...table.matchAll(/^\| `(\w+)`/gm)].map((match) => match[1] ?? "");

describe("docs/errors.md", () => {
  const [classes = "", recorded = ""] = page.split("<!-- error-names -->");

  it("lists every name Stepwise records, with its meaning as the catalogue states it", () => {
    expect(namesIn(recorded).sort()).toEqual(Object.keys(ERROR_NAMES).sort());
    for (const [name, meaning] of Object.entries(ERROR_NAMES))
      expect(recorded).toContain(`| \`${name}\` | ${meaning} |`);
  });

  it("lists every error class the SDK exports, and only those", () => {
    const exported = Object.entries(sdk)
      .filter(([, value]) => typeof value === "function" && value.prototype instanceof Error)
      .map(([name]) => name);
    expect(namesIn(classes).sort()).toEqual(exported.filter((name) => name !== "StepwiseError").sort());
  });
});
