/**
 * The node's service proxy: pods reach the servers that listen on the host's loopback (kube-apiserver, the local
 * vault, the identity endpoint) through addresses on the ground's bridge — the `kubernetes` Service address and the
 * bridge's own address — and this process forwards each of those TCP connections to loopback unchanged (TLS passes
 * through, so clients verify the servers' certificates against the ground's CA). It listens only on the bridge's
 * addresses; nothing is forwarded anywhere else.
 *
 *   node service-proxy.ts --ground <stateDir> --map <listenHost>:<port>=<port on 127.0.0.1> ...
 * (`--ground` names the proving ground it belongs to, so the ground's ledger recognises the process.)
 */
import net from "node:net";
import type { ProcessSpec } from "../../processes.ts";

/** One forwarding rule. */
export interface ProxyRule {
  listenHost: string;
  listenPort: number;
  targetPort: number;
}

/** Printed once every listener is up. */
export const PROXY_READY_LINE = "KEYFLEET_SERVICE_PROXY_READY";

/** Pure: parses `host:port=targetPort`. */
export function parseRule(text: string): ProxyRule {
  const match = /^(\d+\.\d+\.\d+\.\d+):(\d+)=(\d+)$/.exec(text);
  if (!match) throw new Error(`--map ${text}: expected <ipv4>:<port>=<loopback port>`);
  return { listenHost: match[1]!, listenPort: Number(match[2]), targetPort: Number(match[3]) };
}

/** Pure: the rule as a flag value. */
export function formatRule(rule: ProxyRule): string {
  return `${rule.listenHost}:${rule.listenPort}=${rule.targetPort}`;
}

/** The process spec (run on the pinned Node, which strips the types of this file). */
export function serviceProxySpec(
  node: string,
  stateDir: string,
  rules: readonly ProxyRule[],
  logFile: string,
): ProcessSpec {
  return {
    name: "service-proxy",
    command: node,
    args: [import.meta.filename, "--ground", stateDir, ...rules.flatMap((r) => ["--map", formatRule(r)])],
    logFile,
    probe: { kind: "log-line", prefix: PROXY_READY_LINE },
    readySeconds: 15,
  };
}

function forward(rule: ProxyRule): Promise<net.Server> {
  const server = net.createServer((inbound) => {
    const outbound = net.connect({ host: "127.0.0.1", port: rule.targetPort });
    inbound.pipe(outbound).pipe(inbound);
    const close = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on("error", close);
    outbound.on("error", close);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(rule.listenPort, rule.listenHost, () => resolve(server));
  });
}

if (import.meta.main) {
  const rules: ProxyRule[] = [];
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i += 2) {
    const value = args[i + 1];
    if (value === undefined || (args[i] !== "--map" && args[i] !== "--ground"))
      throw new Error("usage: service-proxy.ts --ground <stateDir> --map <ipv4>:<port>=<port> ...");
    if (args[i] === "--map") rules.push(parseRule(value));
  }
  const servers = await Promise.all(rules.map(forward));
  const stop = () => {
    for (const s of servers) s.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdout.write(`${PROXY_READY_LINE} ${rules.map(formatRule).join(" ")}\n`);
}
