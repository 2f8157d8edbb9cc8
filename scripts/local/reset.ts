/**
 * `npm run local:reset`: stops the proving ground if it runs and deletes its whole state folder, including the local
 * vault's durable state (secrets, identities, federated credentials, role assignments, signing key) that
 * `local:down` / `local:up` keep.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { localEnvPath } from "./env.ts";
import { stopProvingGround } from "./ground.ts";
import { DEFAULT_STATE_DIR } from "./paths.ts";
import { Progress } from "./progress.ts";

const progress = new Progress("local:reset");
const envFile = localEnvPath();
const stateDir = process.env.KEYFLEET_LOCAL_ENV ? path.dirname(envFile) : DEFAULT_STATE_DIR;
const stopped = await stopProvingGround(envFile, stateDir, progress);
rmSync(stateDir, { recursive: true, force: true });
progress.log(
  `${stopped > 0 ? `stopped ${stopped} processes; ` : ""}removed ${stateDir} (the local vault starts empty next time)`,
);
