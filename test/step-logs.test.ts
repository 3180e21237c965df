import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client } from "./helpers.ts";

type Line = { level: string; at: string; attempt: number; message: string };

describe("step logs", () => {
  it("keep what each attempt of a step logged, parallel steps' console lines each their own, shown in the API and on the dashboard", async () => {
    const key = crypto.randomUUID();
    const run = await client.run("test-step-logs", { key });
    expect(run.status).toBe("completed");
    const [load] = run.steps as { id: string; logs?: Line[] }[];
    expect(load?.id).toBe("load");
    expect(load?.logs?.map((line) => [line.attempt, line.level, line.message])).toEqual([
      [0, "info", `loading {"key":"${key}","attempt":0}`],
      [0, "warn", "through the function's logger"],
      [0, "error", "straight to the console 0"],
      [1, "info", `loading {"key":"${key}","attempt":1}`],
      [1, "warn", "through the function's logger"],
      [1, "error", "straight to the console 1"],
    ]);
    expect(Date.parse(load?.logs?.[0]?.at ?? "")).toBeGreaterThan(0);
    // Parallel steps ran at once in one isolate, their lines interleaved: each kept its own.
    const linesOf = (id: string) =>
      (run.steps as { id: string; logs?: Line[] }[]).find((step) => step.id === id)?.logs?.map((line) => line.message);
    expect(linesOf("left")).toEqual(["left starts", "left through the function's logger", "left ends"]);
    expect(linesOf("right")).toEqual(["right starts", "right through the function's logger", "right ends"]);
    // A line logged outside any step belongs to no step: it is printed, not kept.
    expect(JSON.stringify(run.steps)).not.toContain("outside any step");

    const page = await (await SELF.fetch(`http://stepwise/dashboard/runs/${run.id}`)).text();
    expect(page).toContain("<h3>Logs</h3>");
    expect(page).toContain("through the function&#39;s logger");
    expect(page).toContain("attempt 2 · info");
  });
});
