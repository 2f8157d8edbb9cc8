/**
 * containerd for the worker node: its configuration (pure, table-tested) and its process spec. Everything containerd
 * and runc keep is placed under the ground's state directory (root, state, runc state, network namespaces, CNI
 * configuration and IPAM), so two grounds never share it and `local:down` can remove it. Every registry is routed to
 * a closed loopback port: an image that is not imported fails at once instead of sending a name lookup or a packet
 * off the machine.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ProcessSpec } from "../../processes.ts";
import { IMAGE_REFS } from "./images.ts";

/** Where one ground's containerd keeps things. */
export interface ContainerdLayout {
  root: string;
  state: string;
  socket: string;
  runcRoot: string;
  cniConfDir: string;
  cniBinDir: string;
  registryConfigDir: string;
  configFile: string;
}

/** Pure: the layout under `nodeDir` (short names: unix socket paths are limited to 107 bytes). */
export function containerdLayout(nodeDir: string, cniBinDir: string): ContainerdLayout {
  return {
    root: path.join(nodeDir, "containerd", "root"),
    state: path.join(nodeDir, "containerd", "state"),
    socket: path.join(nodeDir, "containerd", "state", "c.sock"),
    runcRoot: path.join(nodeDir, "containerd", "runc"),
    cniConfDir: path.join(nodeDir, "cni", "net.d"),
    cniBinDir,
    registryConfigDir: path.join(nodeDir, "containerd", "certs.d"),
    configFile: path.join(nodeDir, "containerd", "config.toml"),
  };
}

/** Host facts the configuration depends on (detected, not assumed). */
export interface ContainerdHost {
  /** No CAP_SYS_RESOURCE: containerd may not lower a container's oom_score_adj below its own. */
  restrictOomScoreAdj: boolean;
  /** Absolute path of runc. */
  runc: string;
}

/** Pure: containerd 2.x configuration (version 3). */
export function containerdConfig(layout: ContainerdLayout, host: ContainerdHost): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    "version = 3",
    `root = ${q(layout.root)}`,
    `state = ${q(layout.state)}`,
    "",
    "[grpc]",
    `  address = ${q(layout.socket)}`,
    "",
    "[plugins.'io.containerd.cri.v1.images']",
    "  snapshotter = 'overlayfs'",
    "  [plugins.'io.containerd.cri.v1.images'.pinned_images]",
    `    sandbox = ${q(IMAGE_REFS.pause)}`,
    "  [plugins.'io.containerd.cri.v1.images'.registry]",
    `    config_path = ${q(layout.registryConfigDir)}`,
    "",
    "[plugins.'io.containerd.cri.v1.runtime']",
    `  restrict_oom_score_adj = ${host.restrictOomScoreAdj}`,
    "  netns_mounts_under_state_dir = true",
    "  enable_selinux = false",
    "  [plugins.'io.containerd.cri.v1.runtime'.cni]",
    `    bin_dirs = [${q(layout.cniBinDir)}]`,
    `    conf_dir = ${q(layout.cniConfDir)}`,
    "    max_conf_num = 1",
    "  [plugins.'io.containerd.cri.v1.runtime'.containerd]",
    "    default_runtime_name = 'runc'",
    "    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]",
    "      runtime_type = 'io.containerd.runc.v2'",
    "      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]",
    `        BinaryName = ${q(host.runc)}`,
    `        Root = ${q(layout.runcRoot)}`,
    "        SystemdCgroup = false",
    "",
    "[plugins.'io.containerd.grpc.v1.cri']",
    "  stream_server_address = '127.0.0.1'",
    "  stream_server_port = '0'",
    "",
  ].join("\n");
}

/** Pure: hosts.toml for every registry (`_default`): a closed loopback port, so nothing is ever pulled from afar. */
export function closedRegistryHosts(): string {
  return [
    'server = "https://127.0.0.1:1"',
    "",
    '[host."https://127.0.0.1:1"]',
    '  capabilities = ["pull", "resolve"]',
    "",
  ].join("\n");
}

/** True when this process holds CAP_SYS_RESOURCE (bit 24 of the effective set). */
export function hasSysResource(statusText: string): boolean {
  const line = /^CapEff:\s*([0-9a-f]+)$/m.exec(statusText);
  return line ? (BigInt(`0x${line[1]}`) & (1n << 24n)) !== 0n : false;
}

/** Writes the configuration files and returns the process spec (ready when `ctr version` answers on the socket). */
export function containerdSpec(
  layout: ContainerdLayout,
  host: ContainerdHost,
  binaries: { containerd: string; ctr: string; binDir: string },
  logFile: string,
  cniConflist: object,
): ProcessSpec {
  for (const dir of [
    layout.root,
    layout.state,
    layout.runcRoot,
    layout.cniConfDir,
    path.join(layout.registryConfigDir, "_default"),
  ])
    mkdirSync(dir, { recursive: true });
  writeFileSync(layout.configFile, containerdConfig(layout, host));
  writeFileSync(path.join(layout.registryConfigDir, "_default", "hosts.toml"), closedRegistryHosts());
  writeFileSync(path.join(layout.cniConfDir, "10-keyfleet.conflist"), JSON.stringify(cniConflist, null, 2));
  return {
    name: "containerd",
    command: binaries.containerd,
    args: ["--config", layout.configFile, "--log-level", "warn"],
    // The runc shim is found on PATH.
    env: { PATH: `${binaries.binDir}:${process.env.PATH ?? "/usr/bin:/bin"}` },
    logFile,
    probe: { kind: "exec", command: binaries.ctr, args: ["--address", layout.socket, "version"] },
    readySeconds: 30,
  };
}
