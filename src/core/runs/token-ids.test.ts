import { describe, expect, it } from "vitest";
import { TOKEN_ID_PATTERN } from "../../../sdk/wait-tokens.ts";
import type { Env } from "../env.ts";
import { mintTokenId, tokenIdSigned, tokenKeys } from "./token-ids.ts";
import { runOfPublicToken } from "./token-completion.ts";

const env = (vars: Partial<Env>): Env => vars as Env;

describe("wait token ids", () => {
  it("are signed with the first key and checked with every key, so keys rotate", () => {
    const keys = tokenKeys(env({ STEPWISE_SIGNING_KEY: "new-signing-key-0123", STEPWISE_API_KEYS: "old-api-key" }));
    expect(keys).toHaveLength(2);
    const id = mintTokenId("run-1", keys[0] ?? "");
    expect(id).toMatch(TOKEN_ID_PATTERN);
    expect(tokenIdSigned(id, keys)).toBe(true);
    expect(tokenIdSigned(mintTokenId("run-1", keys[1] ?? ""), keys)).toBe(true);
    expect(tokenIdSigned(mintTokenId("run-1", "another deployment's key"), keys)).toBe(false);
  });

  it("name their run: an id moved to another run does not check", () => {
    const [key = ""] = tokenKeys(env({ STEPWISE_API_KEYS: "k1" }));
    const id = mintTokenId("run-1", key);
    expect(tokenIdSigned(id.replace(/_run-1$/, "_run-2"), [key])).toBe(false);
    expect(tokenIdSigned(`wt_${"0".repeat(32)}_run-1`, [key])).toBe(false);
    expect(tokenIdSigned("not-a-token", [key])).toBe(false);
  });

  it("the key-less door refuses a forged id (404) and a deployment with no key to check with (503)", () => {
    const keyed = env({ STEPWISE_API_KEYS: "k1" });
    const [key = ""] = tokenKeys(keyed);
    expect(runOfPublicToken(keyed, mintTokenId("run-1", key))).toEqual({ runId: "run-1" });
    expect(runOfPublicToken(keyed, `wt_${"a".repeat(32)}_run-1`)).toMatchObject({
      refusal: { status: 404, code: "token_not_found" },
    });
    const unkeyed = runOfPublicToken(env({ STEPWISE_ENV: "production" }), mintTokenId("run-1", key));
    expect(unkeyed).toMatchObject({ refusal: { status: 503, code: "config_error" } });
    expect(JSON.stringify(unkeyed)).toContain("STEPWISE_SIGNING_KEY");
    expect(tokenKeys(env({ STEPWISE_ENV: "development" }))).toHaveLength(1);
  });
});
