#!/usr/bin/env node
// Runs before `npm test`: the dashboard's browser tests drive Debian's Chromium through
// playwright-core. If /usr/bin/chromium is missing, this installs it with apt-get (as root, on a
// Debian-like machine); anywhere else it says what to install and stops, rather than letting the
// browser tests fail obscurely.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const CHROMIUM = "/usr/bin/chromium";
// Fonts, so pages (and the screenshots in docs/) render text on a bare machine.
const PACKAGES = ["chromium", "fonts-liberation", "fonts-dejavu-core"];

if (existsSync(CHROMIUM)) process.exit(0);

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const hasApt = spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;
if (!isRoot || !hasApt) {
  console.error(`The browser tests need Chromium at ${CHROMIUM}. Install it (Debian/Ubuntu: sudo apt-get install -y ${PACKAGES.join(" ")}) and run npm test again.`);
  process.exit(1);
}

console.log(`Installing ${PACKAGES.join(", ")} for the browser tests (apt-get)…`);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
for (const args of [["update", "-qq"], ["install", "-y", "-qq", "--no-install-recommends", ...PACKAGES]]) {
  const result = spawnSync("apt-get", args, { stdio: "inherit", env });
  if (result.status !== 0) {
    console.error(`apt-get ${args.join(" ")} failed (exit ${result.status}); install ${PACKAGES.join(" ")} by hand and run npm test again.`);
    process.exit(1);
  }
}
if (!existsSync(CHROMIUM)) {
  console.error(`apt-get installed chromium, but ${CHROMIUM} is still missing.`);
  process.exit(1);
}
