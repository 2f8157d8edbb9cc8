/**
 * The worker node's pod network: one Linux bridge per ground, the CNI bridge plugin attaching each pod to it with
 * host-local addresses, and no way out. Pods get a route to the ground's Service range only (no default route, no
 * masquerade, host `ip_forward` untouched): packets to the `kubernetes` Service address and to the bridge's own
 * address end on this machine, where the service proxy (service-proxy.ts) forwards them to the servers on loopback.
 * Nothing leaves the bridge for any other address.
 *
 * Several grounds may run nodes side by side: each claims a network index `i` (a lock file per index, created
 * exclusively) and uses 10.244.i.0/24 for pods and 10.96.i.0/24 for Services.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Addresses of one ground's cluster network. */
export interface GroundNetwork {
  /** Which of the machine's ground networks this is (0 for a ground without a node). */
  index: number;
  /** Pods' addresses (host-local IPAM hands out .10–.250). */
  podSubnet: string;
  /** The bridge's own address: the node's InternalIP, and where pods reach the local Azure endpoints. */
  gatewayIp: string;
  /** The apiserver's `--service-cluster-ip-range`. */
  serviceSubnet: string;
  /** The `kubernetes` Service address (first of the range) that in-cluster clients dial. */
  kubernetesServiceIp: string;
}

/** Networks a machine offers grounds (10.244.0–63.0/24 and 10.96.0–63.0/24). */
export const MAX_GROUND_NETWORKS = 64;

/** Pure: the addresses of network `index`. */
export function groundNetwork(index: number): GroundNetwork {
  return {
    index,
    podSubnet: `10.244.${index}.0/24`,
    gatewayIp: `10.244.${index}.1`,
    serviceSubnet: `10.96.${index}.0/24`,
    kubernetesServiceIp: `10.96.${index}.1`,
  };
}

/** Short id of a ground (from its state directory) for host-level names: bridge, cgroup root, CNI network. */
export function groundId(stateDir: string): string {
  return createHash("sha256").update(stateDir).digest("hex").slice(0, 6);
}

/** Host-level names of one ground's node (pure). Linux limits interface names to 15 characters. */
export function hostNames(stateDir: string): { bridge: string; cniNetwork: string; cgroupRoot: string } {
  const id = groundId(stateDir);
  return { bridge: `kfbr-${id}`, cniNetwork: `keyfleet-${id}`, cgroupRoot: `/keyfleet-${id}` };
}

/** The CNI network configuration list (pure). `isGateway: false`: the plugin would otherwise turn on ip_forward. */
export function cniConflist(
  names: { bridge: string; cniNetwork: string },
  network: GroundNetwork,
  ipamDataDir: string,
): object {
  const prefix = network.podSubnet.split(".").slice(0, 3).join(".");
  return {
    cniVersion: "1.0.0",
    name: names.cniNetwork,
    plugins: [
      {
        type: "bridge",
        bridge: names.bridge,
        isGateway: false,
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: false,
        ipam: {
          type: "host-local",
          dataDir: ipamDataDir,
          ranges: [[{ subnet: network.podSubnet, rangeStart: `${prefix}.10`, rangeEnd: `${prefix}.250` }]],
          routes: [{ dst: network.serviceSubnet, gw: network.gatewayIp }],
        },
      },
    ],
  };
}

function ip(args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** True when a network device of this name exists. */
export function linkExists(name: string): boolean {
  try {
    ip(["link", "show", "dev", name]);
    return true;
  } catch {
    return false;
  }
}

/** Pure: the first and last address of an IPv4 CIDR (a bare address is a /32), or undefined for anything else. */
export function cidrRange(cidr: string): [number, number] | undefined {
  const [address = "", bitsText] = cidr.split("/");
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const octets = address.split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) return undefined;
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const start = base - (base % size);
  return [start, start + size - 1];
}

/** Pure: routes (from `ip -j route`) on other devices that overlap a network's subnets. */
export function conflictingRoutes(
  routes: Array<{ dst: string; dev?: string }>,
  network: GroundNetwork,
  ourBridge: string,
): string[] {
  const ours = [network.podSubnet, network.serviceSubnet].map((c) => cidrRange(c)!);
  return routes
    .filter((r) => r.dev !== ourBridge && r.dst !== "default")
    .filter((r) => {
      const range = cidrRange(r.dst);
      return range !== undefined && ours.some(([s, e]) => range[0] <= e && s <= range[1]);
    })
    .map((r) => `${r.dst}${r.dev ? ` dev ${r.dev}` : ""}`);
}

/** Folder of the machine-wide network locks (tmpfs: they go with a reboot, as the bridges do). */
export const NETWORK_LOCK_DIR = "/run/keyfleet";

function lockFile(index: number): string {
  return path.join(NETWORK_LOCK_DIR, `network-${index}.json`);
}

/** The state directory of the ground holding network `index`, if any. */
export function networkOwner(index: number): string | undefined {
  try {
    return (JSON.parse(readFileSync(lockFile(index), "utf8")) as { stateDir: string }).stateDir;
  } catch {
    return undefined;
  }
}

/**
 * Claims a network for `stateDir`: the one it already holds, else the first free one whose subnets no route on this
 * machine uses. `isLive(owner)` tells a running ground from a dead one; a dead owner's network is handed to
 * `reclaim` (which sweeps what it left) and then taken.
 */
export async function claimNetwork(
  stateDir: string,
  isLive: (owner: string) => boolean,
  reclaim: (owner: string) => Promise<void>,
): Promise<GroundNetwork> {
  mkdirSync(NETWORK_LOCK_DIR, { recursive: true });
  const routes = JSON.parse(ip(["-j", "route"])) as Array<{ dst: string; dev?: string }>;
  const bridge = hostNames(stateDir).bridge;
  for (let index = 0; index < MAX_GROUND_NETWORKS; index += 1) {
    const owner = networkOwner(index);
    if (owner === stateDir) return groundNetwork(index);
    if (owner !== undefined && isLive(owner)) continue;
    if (owner !== undefined) {
      await reclaim(owner);
      rmSync(lockFile(index), { force: true });
    }
    if (conflictingRoutes(routes, groundNetwork(index), bridge).length > 0) continue;
    try {
      writeFileSync(lockFile(index), JSON.stringify({ stateDir, pid: process.pid }), { flag: "wx" });
      return groundNetwork(index);
    } catch {
      // another ground took it between the read and the write: try the next one
    }
  }
  throw new Error(
    `no free network for a worker node: all ${MAX_GROUND_NETWORKS} of 10.244.0-63.0/24 are held by running grounds or used by routes on this machine; ` +
      "stop a ground (`npm run local:down`) or start this one without a node (KEYFLEET_LOCAL_NODE=0)",
  );
}

/** Releases the network `stateDir` holds, if any. */
export function releaseNetwork(stateDir: string): void {
  for (let index = 0; index < MAX_GROUND_NETWORKS; index += 1)
    if (networkOwner(index) === stateDir) rmSync(lockFile(index), { force: true });
}

/** Creates the bridge with the gateway address and the kubernetes Service address (idempotent). */
export function createBridge(bridge: string, network: GroundNetwork): void {
  if (!linkExists(bridge)) ip(["link", "add", "name", bridge, "type", "bridge"]);
  const have = ip(["-o", "-4", "addr", "show", "dev", bridge]);
  if (!have.includes(`${network.gatewayIp}/`)) ip(["addr", "add", `${network.gatewayIp}/24`, "dev", bridge]);
  // The Service address lives on the bridge too, so pods' packets to it are delivered locally (no DNAT, no forwarding).
  if (!have.includes(`${network.kubernetesServiceIp}/`))
    ip(["addr", "add", `${network.kubernetesServiceIp}/32`, "dev", bridge]);
  ip(["link", "set", "dev", bridge, "up"]);
}

/** Deletes the bridge (its pods' veth ends go with their network namespaces). */
export function deleteBridge(bridge: string): void {
  if (linkExists(bridge)) ip(["link", "delete", "dev", bridge]);
}
