import { describe, expect, it } from "vitest";
import { z } from "zod";
import { StepwiseError } from "./errors.ts";
import { StepwiseRefusedError, unwrapAnswer, unwrapResponse } from "./refusal.ts";

const ids = z.object({ ids: z.array(z.string()) });

describe("answers from Stepwise, over either door", () => {
  it("unwraps an answer's value, checked against its schema", () => {
    expect(unwrapAnswer({ ok: true, value: { ids: ["a"] } }, ids)).toEqual({ ids: ["a"] });
  });

  it("throws a refusal as a typed error with the HTTP API's code and status", () => {
    const refusal = { code: "function_not_found", status: 404, message: 'No function "x" is registered' };
    const error = (() => {
      try {
        return unwrapAnswer({ ok: false, refusal }, ids);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(StepwiseRefusedError);
    expect(error).toMatchObject(refusal);
  });

  it("says so when an answer is not one it knows (another version of Stepwise)", () => {
    expect(() => unwrapAnswer({ ids: ["a"] }, ids)).toThrow(StepwiseError);
    expect(() => unwrapAnswer({ ok: true, value: { ids: [1] } }, ids)).toThrow(/something unexpected/);
  });

  it("reads an HTTP error body into the same error, with its zod issues", async () => {
    const body = { error: { code: "invalid_request", message: "bad", issues: [{ path: ["name"] }] } };
    const error = await unwrapResponse(Response.json(body, { status: 400 }), ids).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "invalid_request", status: 400, message: "bad", issues: [{ path: ["name"] }] });
    await expect(unwrapResponse(new Response("oops", { status: 502 }), ids)).rejects.toMatchObject({
      code: "http_error",
      status: 502,
    });
  });
});
