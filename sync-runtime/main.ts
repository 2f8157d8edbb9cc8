/**
 * Entry point of the bundled runtime (dist/sync-runtime.mjs; `node main.mjs [flags]` in the pod). Settings come
 * from flags or the environment the Pulumi SyncRuntime component sets; see options.ts.
 */
import { runCommand } from "./cli.ts";

const argv = process.argv.slice(2);
process.exitCode = await runCommand(argv[0] === "run" ? argv.slice(1) : argv);
