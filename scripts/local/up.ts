/** `npm run local:up`: brings the proving ground up (or reports the running one) and leaves it running. */
import { startProvingGround } from "./ground.ts";
import { localEnvPath } from "./env.ts";
import { Progress } from "./progress.ts";

const progress = new Progress("local:up");
try {
  const ground = await startProvingGround({ progress });
  process.stdout.write(`${localEnvPath()}\n`);
  progress.log(
    `${ground.startedHere ? "started" : "already running"} in ${progress.elapsedSeconds().toFixed(1)}s; stop with \`npm run local:down\``,
  );
} catch (error) {
  progress.log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && error.cause instanceof Error) progress.log(`cause: ${error.cause.message}`);
  progress.log("retry with `npm run local:up`; logs are in .keyfleet/local/logs/");
  process.exitCode = 1;
}
