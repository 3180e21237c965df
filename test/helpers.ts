/**
 * Helpers for the workerd tests: talk to the Worker through its HTTP API, like a user would.
 */
import { SELF } from "cloudflare:test";
import { TestClient } from "../sdk/testing.ts";

export const client = new TestClient((input, init) => SELF.fetch(input, init));
