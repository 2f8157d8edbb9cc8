#!/usr/bin/env node
// keyfleet CLI entry. Runs under the Node pinned in package.json (node_modules/.bin/node comes first on PATH for
// npx/npm scripts); the TypeScript sources run directly (Node 26 type stripping).
const major = Number(process.versions.node.split(".")[0]);
if (major < 26) {
  process.stderr.write(
    `keyfleet needs Node 26 or newer (this is ${process.version}); run it through npx or npm scripts.\n`,
  );
  process.exit(1);
}
const { main } = await import("./cli.ts");
process.exitCode = await main(process.argv.slice(2));
