/** etcd: the ground's datastore, on loopback, data in the state folder (kept across `local:restart -- etcd`). */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ensureBuilt } from "../build-cache.ts";
import type { LocalEnvironment } from "../env.ts";
import { freePort } from "../processes.ts";
import { kubeBuild } from "./kube-build.ts";
import { logFileIn, type GroundPart } from "./part.ts";

/** What etcd adds to the description. */
export type EtcdDescription = Pick<LocalEnvironment, "etcd">;

/** Pure: etcd flags. `--unsafe-no-fsync`: test data only, and much faster on a shared disk. */
export function etcdArgs(dataDir: string, clientPort: number, peerPort: number): string[] {
  return [
    "--name=keyfleet",
    `--data-dir=${dataDir}`,
    `--listen-client-urls=http://127.0.0.1:${clientPort}`,
    `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
    `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-cluster=keyfleet=http://127.0.0.1:${peerPort}`,
    "--unsafe-no-fsync",
    "--log-level=warn",
  ];
}

export const etcdPart: GroundPart<EtcdDescription> = {
  name: "etcd",
  kubeCommands: [],
  locate: (progress) => ensureBuilt(kubeBuild([], true), progress),
  async start(ctx, binaries) {
    const dataDir = path.join(ctx.stateDir, "etcd");
    mkdirSync(dataDir, { recursive: true });
    const clientPort = await freePort();
    const peerPort = await freePort();
    const url = `http://127.0.0.1:${clientPort}`;
    await ctx.progress.step("starting etcd", () =>
      ctx.launch({
        name: "etcd",
        command: binaries.paths.etcd!,
        args: etcdArgs(dataDir, clientPort, peerPort),
        logFile: logFileIn(ctx.stateDir, "etcd"),
        probe: { kind: "http", url: `${url}/health` },
        readySeconds: 30,
      }),
    );
    return { etcd: { url } };
  },
};
