#!/usr/bin/env node
// `npm run build` (and `npm pack`, through prepack): compiles the package's entry points to
// dist/ as JavaScript with .d.ts, so a project installing `stepwise` needs no TypeScript loader.
// dist/ is emptied first: a file removed from the source must not live on in the package.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";

rmSync("dist", { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" });
process.exit(result.status ?? 1);
