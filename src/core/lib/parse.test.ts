import { describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidInputError, parseInput } from "./parse.ts";

describe("parseInput", () => {
  it("returns the parsed value", () => {
    expect(parseInput(z.object({ n: z.coerce.number() }), { n: "2" }, "count")).toEqual({ n: 2 });
  });

  it("refuses with an error that names the input and each issue, readable after an RPC trip", () => {
    const refuse = () => parseInput(z.object({ runId: z.string() }), { runId: 7 }, "run start");
    expect(refuse).toThrow(InvalidInputError);
    expect(refuse).toThrow(/^Invalid run start: .*expected string.*\n.*runId/s);
  });
});
