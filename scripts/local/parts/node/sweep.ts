/**
 * Removes everything a ground's worker node leaves on the host besides its recorded processes: the runc shims
 * (containerd starts them in their own sessions), every process in the node's cgroup root, the mounts under the
 * node's folder (kubelet volumes, container root filesystems, network namespaces), the shims' sockets in
 * containerd's fixed socket folder, CNI result files, the bridge, the cgroups and the ground's network lock.
 * Safe to run twice, and after a crash.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, rmdirSync } from "node:fs";
import path from "node:path";
import { isAlive } from "../../processes.ts";
import { removeCgroupRoot } from "./cgroups.ts";
import { deleteBridge, releaseNetwork } from "./network.ts";

/** containerd's fixed folder for shim sockets (not configurable in containerd 2.x). */
export const SHIM_SOCKET_DIR = "/run/containerd/s";
/** CNI's result cache (libcni's default; containerd does not let it be moved). */
export const CNI_CACHE_DIR = "/var/lib/cni";

/** Pure: mount points under `dir`, deepest first, from /proc/self/mountinfo text (octal escapes decoded). */
export function mountsUnder(mountinfo: string, dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  return mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
}

/** Pure: unix socket paths under `dir` for the given socket inodes, from /proc/net/unix text. */
export function socketPathsFor(procNetUnix: string, inodes: ReadonlySet<string>, dir: string): string[] {
  return procNetUnix
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && inodes.has(f[6]!) && f[7]!.startsWith(`${dir}/`))
    .map((f) => f[7]!);
}

function pidsMentioning(text: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
      } catch {
        return false;
      }
    });
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    }
  } catch {
    // gone
  }
  return inodes;
}

/** What the sweep removed, for the log and for tests. */
export interface SweepReport {
  processes: number;
  mounts: number;
  sockets: number;
}

/** Sweeps one ground's node; `nodeDir` is `<stateDir>/node`. */
/** Ids of the node's pod sandboxes (containerd keeps a folder per sandbox in its root and state). */
function sandboxIds(nodeDir: string): Set<string> {
  const ids = new Set<string>();
  for (const base of ["root", "state"]) {
    const dir = path.join(nodeDir, "containerd", base, "io.containerd.grpc.v1.cri", "sandboxes");
    if (existsSync(dir)) for (const id of readdirSync(dir)) ids.add(id);
  }
  return ids;
}

/** Pure: CNI result files (`<network>-<sandbox id>-<interface>`) that belong to the node. */
export function cniResultsOf(
  files: readonly string[],
  cniNetwork: string,
  sandboxes: ReadonlySet<string>,
): string[] {
  return files.filter((file) => {
    if (file.startsWith(`${cniNetwork}-`)) return true;
    // containerd's own loopback network, named per sandbox
    const loopback = /^cni-loopback-([0-9a-f]{64})-lo$/.exec(file);
    return loopback !== null && sandboxes.has(loopback[1]!);
  });
}

export async function sweepNode(
  stateDir: string,
  names: { bridge: string; cniNetwork: string; cgroupRoot: string },
): Promise<SweepReport> {
  const nodeDir = path.join(stateDir, "node");
  const sandboxes = sandboxIds(nodeDir);
  // Shims (and anything else started with the node's socket or folder on its command line).
  const shims = pidsMentioning(nodeDir);
  const inodes = new Set(shims.flatMap((pid) => [...socketInodes(pid)]));
  const sockets = existsSync("/proc/net/unix")
    ? socketPathsFor(readFileSync("/proc/net/unix", "utf8"), inodes, SHIM_SOCKET_DIR)
    : [];
  for (const pid of shims) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  const processes = shims.length + (await removeCgroupRoot(names.cgroupRoot));
  for (let i = 0; i < 50 && shims.some(isAlive); i += 1) await new Promise((r) => setTimeout(r, 100));
  for (const socket of sockets) rmSync(socket, { force: true });
  const mounts = mountsUnder(readFileSync("/proc/self/mountinfo", "utf8"), nodeDir);
  for (const mount of mounts) {
    try {
      execFileSync("umount", ["--lazy", mount], { stdio: "ignore" });
    } catch {
      // already gone with its parent
    }
  }
  deleteBridge(names.bridge);
  const results = path.join(CNI_CACHE_DIR, "results");
  if (existsSync(results))
    for (const file of cniResultsOf(readdirSync(results), names.cniNetwork, sandboxes))
      rmSync(path.join(results, file), { force: true });
  for (const dir of [results, CNI_CACHE_DIR, SHIM_SOCKET_DIR, path.dirname(SHIM_SOCKET_DIR)])
    removeIfEmpty(dir);
  rmSync(nodeDir, { recursive: true, force: true });
  releaseNetwork(stateDir);
  return { processes, mounts: mounts.length, sockets: sockets.length };
}

function removeIfEmpty(dir: string): void {
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // missing or not empty
  }
}
