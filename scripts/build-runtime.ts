/**
 * `npm run build`: bundles the sync runtime (sync-runtime/main.ts) into one ESM file, dist/sync-runtime.mjs,
 * for Node LTS — what the SyncRuntime component mounts from a ConfigMap or bakes into an image.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildRuntimeBundle } from "../stacks/runtime-inputs.ts";

const repo = path.resolve(import.meta.dirname, "..");
const out = path.join(repo, "dist", "sync-runtime.mjs");
const bundle = buildRuntimeBundle(path.join(repo, "sync-runtime", "main.ts"));
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, bundle);
process.stderr.write(
  `wrote ${path.relative(repo, out)} (${(Buffer.byteLength(bundle) / 1024).toFixed(0)} KiB)\n`,
);
