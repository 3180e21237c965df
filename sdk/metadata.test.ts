import { describe, expect, it } from "vitest";
import { InvalidStepError } from "./errors.ts";
import { applyMetadata, MAX_METADATA_OPS, metadataRecorder } from "./metadata.ts";

describe("metadata changes", () => {
  it("set, append and increment apply in order; null removes a key; a scalar appended to becomes a list", () => {
    const { writer, ops } = metadataRecorder("s");
    writer.set("phase", "upload");
    writer.increment("done");
    writer.increment("done", 4);
    writer.append("log", "a");
    writer.append("log", { at: new Date(0) });
    writer.append("phase", "next");
    writer.set("gone", 1);
    writer.set("gone", null);
    expect(applyMetadata({ kept: true }, ops)).toEqual({
      ok: true,
      value: { kept: true, phase: ["upload", "next"], done: 5, log: ["a", { at: "1970-01-01T00:00:00.000Z" }] },
    });
  });

  it("refuses an increment of a value that is not a number, and bad keys or too many changes at the call", () => {
    expect(applyMetadata({ n: "x" }, [{ op: "increment", key: "n", by: 1 }])).toEqual({
      ok: false,
      error: `metadata "n" is not a number, so it cannot be incremented`,
    });
    const { writer } = metadataRecorder("s");
    expect(() => writer.set("", 1)).toThrow(InvalidStepError);
    expect(() => writer.increment("n", Number.NaN)).toThrow(InvalidStepError);
    for (let i = 0; i < MAX_METADATA_OPS; i++) writer.increment("n");
    expect(() => writer.increment("n")).toThrow(/more than 1000 metadata changes/);
  });
});
