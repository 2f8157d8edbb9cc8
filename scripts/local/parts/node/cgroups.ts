/**
 * The node's cgroup root: detected cgroup mode (a normal Linux machine has the unified v2 hierarchy; some sandboxes
 * still mount v1 controllers with an empty unified hierarchy), one root per ground that the kubelet puts every pod
 * under, and its removal — killing whatever still runs inside, then removing the groups deepest first.
 */
import {
  existsSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  mkdirSync,
  writeFileSync,
  statSync,
} from "node:fs";
import path from "node:path";

const CGROUP_FS = "/sys/fs/cgroup";

/** Pure: "v2" when the unified hierarchy at the cgroup mount offers controllers, else "v1". */
export function cgroupModeFrom(unifiedControllers: string | undefined): "v1" | "v2" {
  return unifiedControllers !== undefined && unifiedControllers.trim().length > 0 ? "v2" : "v1";
}

/** The machine's cgroup mode. */
export function detectCgroupMode(): "v1" | "v2" {
  const file = path.join(CGROUP_FS, "cgroup.controllers");
  return cgroupModeFrom(existsSync(file) ? readFileSync(file, "utf8") : undefined);
}

/**
 * Pure: the hierarchies of a v1 (or hybrid) machine from /proc/self/mounts: every cgroup mount, and the unified
 * hierarchy a hybrid machine mounts beside them (the kubelet creates its groups there too).
 */
export function v1Hierarchies(mountsText: string): string[] {
  return mountsText
    .split("\n")
    .map((line) => line.split(" "))
    .filter((f) => (f[2] === "cgroup" || f[2] === "cgroup2") && f[1] !== undefined)
    .map((f) => f[1]!);
}

/** Directories that make up a cgroup path in the current mode (one per v1 hierarchy, or one in v2). */
export function cgroupDirs(cgroupPath: string): string[] {
  if (detectCgroupMode() === "v2") return [path.join(CGROUP_FS, cgroupPath)];
  return v1Hierarchies(readFileSync("/proc/self/mounts", "utf8")).map((h) => path.join(h, cgroupPath));
}

/** Creates the root in every hierarchy (cpuset needs its cpus/mems copied from the parent before use). */
export function createCgroupRoot(cgroupPath: string): void {
  for (const dir of cgroupDirs(cgroupPath)) {
    mkdirSync(dir, { recursive: true });
    for (const file of ["cpuset.cpus", "cpuset.mems"]) {
      const own = path.join(dir, file);
      const parent = path.join(path.dirname(dir), file);
      if (existsSync(own) && readFileSync(own, "utf8").trim() === "" && existsSync(parent))
        writeFileSync(own, readFileSync(parent, "utf8"));
    }
  }
}

function descendantsDeepestFirst(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const children = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => descendantsDeepestFirst(path.join(dir, e.name)));
  return [...children, dir];
}

/** Pids of every process in the groups under the root (all hierarchies). */
export function pidsUnder(cgroupPath: string): number[] {
  const pids = new Set<number>();
  for (const dir of cgroupDirs(cgroupPath))
    for (const group of descendantsDeepestFirst(dir))
      for (const line of readFileSync(path.join(group, "cgroup.procs"), "utf8").split("\n"))
        if (line.trim()) pids.add(Number(line));
  return [...pids];
}

/** Kills what runs under the root and removes its groups; returns how many processes it killed. */
export async function removeCgroupRoot(cgroupPath: string): Promise<number> {
  const killed = new Set<number>();
  for (let round = 0; round < 50; round += 1) {
    const pids = pidsUnder(cgroupPath);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        killed.add(pid);
      } catch {
        // gone already
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const dir of cgroupDirs(cgroupPath))
    for (const group of descendantsDeepestFirst(dir)) {
      try {
        rmdirSync(group);
      } catch {
        // a frozen or still-emptying group; the next cleanup takes it
      }
    }
  return killed.size;
}
