/**
 * The layers, and the one direction they point: doors → durable objects → core → sdk.
 * `npm run typecheck` runs this (`npm run lint:layers`); a change that points the wrong way, or
 * closes an import circle, fails it. See docs/architecture.md ("Layers").
 *
 * - sdk/: the public SDK and the engine <-> SDK protocol. Imports only itself.
 * - src/core/: what doors and objects share (env, D1 tables, event intake, catalog, transports,
 *   run starts, object names). Imports only itself and sdk/, and never names an object class,
 *   except that src/core/env.ts types the bindings with `import()` types.
 * - durable-objects/: each object. Imports the core, sdk/ and sibling objects; never a door.
 * - the doors (everything else under src/): HTTP API, RPC, dashboard, router, apps, cron passes.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import circle ties modules that should stand apart; break it by moving what both need down a layer.",
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-import"] } },
    },
    {
      name: "sdk-stands-alone",
      severity: "error",
      comment: "The SDK is published on its own: it imports nothing of the engine.",
      from: { path: "^sdk/" },
      to: { path: "^(src|durable-objects)/" },
    },
    {
      name: "core-imports-only-core-and-sdk",
      severity: "error",
      comment: "The core is below the objects and the doors: it imports only src/core and sdk.",
      from: { path: "^src/core/", pathNot: "^src/core/env\\.ts$" },
      to: { path: "^(src/(?!core/)|durable-objects/)" },
    },
    {
      name: "env-names-objects-by-import-types-only",
      severity: "error",
      comment: "src/core/env.ts names the object classes through import() types only, and no door at all.",
      from: { path: "^src/core/env\\.ts$" },
      to: { path: "^(src/(?!core/)|durable-objects/)", dependencyTypesNot: ["type-import"] },
    },
    {
      name: "env-names-no-door",
      severity: "error",
      comment: "The bindings' type is core: it names no door, not even by type.",
      from: { path: "^src/core/env\\.ts$" },
      to: { path: "^src/(?!core/)" },
    },
    {
      name: "objects-never-import-doors",
      severity: "error",
      comment: "Durable objects import the core, sdk/ and sibling objects; never a door.",
      from: { path: "^durable-objects/" },
      to: { path: "^src/(?!core/)" },
    },
    {
      name: "doors-stand-apart",
      severity: "error",
      comment:
        "A door shares code with another door through the core; only the HTTP app (src/api/app.ts) mounts the dashboard, and only src/worker.ts wires the doors together.",
      from: { path: "^src/(api|rpc|dashboard|router|retention|waits)/", pathNot: "^src/api/app\\.ts$" },
      to: { path: "^src/(?!core/)([^/]+)/", pathNot: "^src/$1/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)node_modules/|^dist/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".js", ".mjs"] },
  },
};
