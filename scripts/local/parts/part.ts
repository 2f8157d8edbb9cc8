/**
 * The shape every part of the proving ground has (etcd, kube-apiserver, kube-controller-manager, the local Azure
 * stand-in, the worker node, the Pulumi engine): locate-or-build its binaries into the cache, start its processes
 * (each with a readiness probe, recorded in the ledger as it starts), describe itself in env.json, and clean up
 * what it leaves on the host besides processes. Adding a part means adding a module, not editing the others.
 */
import path from "node:path";
import type { Located } from "../build-cache.ts";
import type { LocalEnvironment } from "../env.ts";
import type { GroundPki } from "../pki.ts";
import type { GroundNetwork } from "./node/network.ts";
import type { ProcessRecord, ProcessSpec } from "../processes.ts";
import type { Progress } from "../progress.ts";

/** What a part gets while the ground starts. */
export interface GroundContext {
  stateDir: string;
  progress: Progress;
  pki: GroundPki;
  /** The ground's cluster network (Service range; the node's pod network when it runs one). */
  network: GroundNetwork;
  /** Starts a process, records it in the ledger at once, and waits for its probe. */
  launch(spec: ProcessSpec): Promise<ProcessRecord>;
  /** The description so far (earlier parts have filled theirs in). */
  env: Partial<LocalEnvironment>;
}

/** One part of the ground. `Description` is what it adds to env.json. */
export interface GroundPart<Description extends Partial<LocalEnvironment>> {
  name: string;
  /**
   * Kubernetes commands it runs. They come from one module graph, so the ground builds the union of every part's
   * commands in one go (one compile of the shared packages) before the parts locate them.
   */
  kubeCommands?: readonly string[];
  /** Finds (or builds, once) its binaries. */
  locate(progress: Progress): Promise<Located>;
  /** Starts its processes (in order) and returns its part of the description. */
  start(ctx: GroundContext, binaries: Located): Promise<Description>;
  /**
   * Removes what its processes leave on the host besides themselves (mounts, network devices, cgroups). Runs after
   * every process of the ground has stopped, also for a ground that crashed; must be safe to run twice.
   */
  cleanup?(stateDir: string, progress: Progress): Promise<void>;
}

/** The log file of a process in a ground's state directory. */
export function logFileIn(stateDir: string, name: string): string {
  return path.join(stateDir, "logs", `${name}.log`);
}
