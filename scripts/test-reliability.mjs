#!/usr/bin/env node
// `npm run test:reliability`: the files of the reliability suite (test/RELIABILITY.md), each in its
// vitest project: the workerd and Node ones together, then the e2e ones (a dev server of their own).
import { spawnSync } from "node:child_process";
import { reliabilityEntries } from "./reliability-files.mjs";

const files = [...new Set(reliabilityEntries().map((entry) => entry.file))];
const e2e = files.filter((file) => file.startsWith("test/e2e/"));
const inWorkerd = files.filter((file) => !e2e.includes(file));
const vitest = (args) =>
  spawnSync(process.execPath, ["node_modules/vitest/vitest.mjs", "run", ...args], { stdio: "inherit" }).status ?? 1;
const status =
  vitest(["--project", "unit", "--project", "workers", ...inWorkerd]) ||
  (e2e.length > 0 ? vitest(["--project", "e2e", ...e2e]) : 0);
process.exit(status);
