/** `npm run local:restart -- <process> [...]`: restarts processes of the running proving ground, in the order given. */
import { readLocalEnvironment } from "./env.ts";
import { Progress } from "./progress.ts";
import { GROUND_PROCESSES, restartPart, type GroundPartName } from "./restart.ts";

const progress = new Progress("local:restart");
const names = process.argv.slice(2);
const unknown = names.filter((n) => !(GROUND_PROCESSES as readonly string[]).includes(n));
if (names.length === 0 || unknown.length > 0) {
  progress.log(
    `${unknown.length > 0 ? `unknown: ${unknown.join(", ")}; ` : ""}usage: npm run local:restart -- <${GROUND_PROCESSES.join("|")}> ...`,
  );
  process.exit(2);
}
try {
  let env = readLocalEnvironment();
  for (const name of names as GroundPartName[]) {
    env = await progress.step(`restarting ${name}`, () => restartPart(env, name));
  }
} catch (error) {
  progress.log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
