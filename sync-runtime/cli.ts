/**
 * `keyfleet run`: parses flags/env, builds the runtime and runs it until SIGTERM/SIGINT (graceful shutdown)
 * or until leadership is lost. Returns the process exit code.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { defaultExtraControllers } from "./controllers.ts";
import { CRDS_USAGE, renderCrdsYaml, selectCrds } from "./crds/render.ts";
import { createLogger, describeError } from "./logger.ts";
import { ConfigError, parseRuntimeConfig, runHelp } from "./options.ts";
import { SyncRuntime } from "./runtime.ts";
import type { Controller, RuntimeContext } from "./runtime.ts";

/** Hook for the composition of extra controllers (AKVSync, restarts) by the caller. */
export type ExtraControllers = (context: RuntimeContext) => Controller[];

/**
 * Runs `keyfleet run` with `argv` (the arguments after `run`). `extraControllers` defaults to AKVSync + restarts.
 */
export async function runCommand(
  argv: string[],
  extraControllers: ExtraControllers | undefined = defaultExtraControllers,
): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(runHelp());
    return 0;
  }
  let config;
  try {
    config = parseRuntimeConfig(argv, process.env, os.hostname());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`keyfleet run: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  const kubeConfig = new k8s.KubeConfig();
  try {
    if (config.kubeconfig) kubeConfig.loadFromFile(config.kubeconfig);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    logger.error({ err: describeError(error) }, "cannot load kubeconfig");
    return 2;
  }
  const runtime = new SyncRuntime(config, {
    kubeConfig,
    logger,
    extraControllers,
  });
  let signalled: (name: string) => void = () => {};
  const signal = new Promise<string>((resolve) => {
    signalled = resolve;
  });
  const onSignal = (name: NodeJS.Signals) => signalled(name);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    await runtime.start();
    logger.info(
      {
        healthPort: runtime.ports.health,
        metricsPort: runtime.ports.metrics,
        namespaces: config.namespaces,
        controllerName: config.controllerName,
      },
      "keyfleet sync runtime running",
    );
    const why = await Promise.race([signal, runtime.finished]);
    logger.info({ why }, "shutting down");
    await runtime.stop();
    return why === "lost leadership" ? 1 : 0;
  } catch (error) {
    logger.error({ err: describeError(error) }, "runtime failed");
    await runtime.stop().catch(() => {});
    return 1;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}

/** Where `keyfleet crds` writes (injected so tests capture output). */
export interface CrdsIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** `keyfleet crds [--exclude a,b]`: prints the CRDs keyfleet installs as YAML. Exit 2 on bad flags. */
export function crdsCommand(
  argv: string[],
  io: CrdsIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { exclude: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.out(CRDS_USAGE);
      return Promise.resolve(0);
    }
    const exclude = (values.exclude ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    io.out(renderCrdsYaml(selectCrds(exclude)));
    return Promise.resolve(0);
  } catch (error) {
    io.err(`keyfleet crds: ${(error as Error).message}\n\n${CRDS_USAGE}`);
    return Promise.resolve(2);
  }
}
