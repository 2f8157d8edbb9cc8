/**
 * The worker node's pod network: one Linux bridge the ground creates, the CNI bridge plugin attaching each pod to it
 * with host-local addresses, and no way out. Pods get a route to the Service range only (no default route, no
 * masquerade, host `ip_forward` untouched): packets to the `kubernetes` Service address and to the bridge's own
 * address end on this machine, where the service proxy (service-proxy.ts) forwards them to the servers on loopback.
 * Nothing leaves the bridge for any other address.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";

/** Addresses of the node's network. One node per machine uses them (see the node lock in index.ts). */
export const NODE_NETWORK = {
  /** Pods' addresses (host-local IPAM hands out .10–.250). */
  podSubnet: "10.244.0.0/24",
  /** The bridge's own address: the node's InternalIP, and where pods reach the local Azure endpoints. */
  gatewayIp: "10.244.0.1",
  /** The apiserver's `--service-cluster-ip-range`. */
  serviceSubnet: "10.96.0.0/24",
  /** The `kubernetes` Service address (first of the range) that in-cluster clients dial. */
  kubernetesServiceIp: "10.96.0.1",
} as const;

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
export function cniConflist(names: { bridge: string; cniNetwork: string }, ipamDataDir: string): object {
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
          ranges: [[{ subnet: NODE_NETWORK.podSubnet, rangeStart: "10.244.0.10", rangeEnd: "10.244.0.250" }]],
          routes: [{ dst: NODE_NETWORK.serviceSubnet, gw: NODE_NETWORK.gatewayIp }],
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

/** Pure: routes (from `ip -j route`) on other devices that overlap the node's subnets. */
export function conflictingRoutes(routes: Array<{ dst: string; dev?: string }>, ourBridge: string): string[] {
  const ours = [NODE_NETWORK.podSubnet, NODE_NETWORK.serviceSubnet].map((c) => cidrRange(c)!);
  return routes
    .filter((r) => r.dev !== ourBridge && r.dst !== "default")
    .filter((r) => {
      const range = cidrRange(r.dst);
      return range !== undefined && ours.some(([s, e]) => range[0] <= e && s <= range[1]);
    })
    .map((r) => `${r.dst}${r.dev ? ` dev ${r.dev}` : ""}`);
}

/** Creates the bridge with the gateway address and the kubernetes Service address (idempotent). */
export function createBridge(bridge: string): void {
  const routes = JSON.parse(ip(["-j", "route"])) as Array<{ dst: string; dev?: string }>;
  const conflicts = conflictingRoutes(routes, bridge);
  if (conflicts.length > 0) {
    throw new Error(
      `the pod network ${NODE_NETWORK.podSubnet} / Service range ${NODE_NETWORK.serviceSubnet} overlaps routes on this machine (${conflicts.join(", ")}); ` +
        "the worker node cannot run here without taking traffic from them (start the ground without a node: KEYFLEET_LOCAL_NODE=0)",
    );
  }
  if (!linkExists(bridge)) ip(["link", "add", "name", bridge, "type", "bridge"]);
  const have = ip(["-o", "-4", "addr", "show", "dev", bridge]);
  if (!have.includes(`${NODE_NETWORK.gatewayIp}/`))
    ip(["addr", "add", `${NODE_NETWORK.gatewayIp}/24`, "dev", bridge]);
  // The Service address lives on the bridge too, so pods' packets to it are delivered locally (no DNAT, no forwarding).
  if (!have.includes(`${NODE_NETWORK.kubernetesServiceIp}/`))
    ip(["addr", "add", `${NODE_NETWORK.kubernetesServiceIp}/32`, "dev", bridge]);
  ip(["link", "set", "dev", bridge, "up"]);
}

/** Deletes the bridge (its pods' veth ends go with their network namespaces). */
export function deleteBridge(bridge: string): void {
  if (linkExists(bridge)) ip(["link", "delete", "dev", bridge]);
}
