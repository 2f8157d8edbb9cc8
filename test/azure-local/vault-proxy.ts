/**
 * A counting, fault-injecting TLS proxy in front of a vault (test infrastructure). It counts every request that
 * reaches it by Key Vault operation and status, and injects deterministic faults (no randomness): Key Vault-shaped
 * 429 (with or without Retry-After), 5xx, 403 and 404 answers, connection resets, and an unreachable vault
 * (listener closed → connection refused), for the next N matching requests or until cleared. The Host header is
 * passed through, so ids and nextLinks the vault returns point back at the proxy.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { closeServer, listen, originOf } from "./http.ts";

/** Operations the proxy tells apart. */
export const PROXY_OPERATIONS = [
  "getSecret",
  "getSecretVersions",
  "listSecrets",
  "getKey",
  "getCertificate",
  "other",
] as const;
/** One of {@link PROXY_OPERATIONS}. */
export type ProxyOperation = (typeof PROXY_OPERATIONS)[number];

const COLLECTIONS = new Set([
  "secrets",
  "keys",
  "certificates",
  "deletedsecrets",
  "deletedkeys",
  "deletedcertificates",
]);

/** Pure: the operation and object name of a request (a `/<vaultName>/` path prefix is skipped). */
export function classifyRequest(
  method: string,
  pathname: string,
): { operation: ProxyOperation; objectName?: string } {
  let segments = pathname.split("/").slice(1);
  if (segments.length > 1 && segments[0] && !COLLECTIONS.has(segments[0].toLowerCase()))
    segments = segments.slice(1);
  const [collection, rawName, sub, extra] = segments;
  let name: string | undefined;
  try {
    name = rawName ? decodeURIComponent(rawName) : undefined;
  } catch {
    name = rawName;
  }
  if (method !== "GET" || extra !== undefined)
    return { operation: "other", ...(name ? { objectName: name } : {}) };
  if (collection === "secrets") {
    if (!name) return { operation: "listSecrets" };
    if (sub === "versions") return { operation: "getSecretVersions", objectName: name };
    return { operation: "getSecret", objectName: name };
  }
  if (collection === "keys" && name && sub !== "versions") return { operation: "getKey", objectName: name };
  if (collection === "certificates" && name && !["versions", "policy", "pending"].includes(sub ?? "")) {
    return { operation: "getCertificate", objectName: name };
  }
  return { operation: "other", ...(name ? { objectName: name } : {}) };
}

/** What an injected fault does. */
export type Fault =
  /** Answer with this status and a Key Vault error body (429 → Throttled; 403/404/5xx → matching codes). */
  | { kind: "status"; status: number; retryAfterSeconds?: number }
  /** Destroy the connection without answering (ECONNRESET at the client). */
  | { kind: "reset" }
  /** Close the listener and every connection: new connections are refused until the rule is cleared. */
  | { kind: "unreachable" };

/** A fault for requests matching `operation` and/or `objectName` (case-insensitive); absent = any. */
export interface FaultRule {
  operation?: ProxyOperation;
  objectName?: string;
  fault: Fault;
  /** Apply to the next N matching requests only. Default: until cleared. Ignored for `unreachable`. */
  times?: number;
}

/** Counters of requests that reached the proxy. */
export interface ProxyCounts {
  total: number;
  /** By status code ("200", "401", "429", ...) or "reset". */
  byStatus: Record<string, number>;
  operations: Record<ProxyOperation, { total: number; byStatus: Record<string, number> }>;
  /** Requests answered by an injected fault (not forwarded). */
  injected: number;
  /** Requests without a bearer token (the SDK's challenge round trips). */
  unauthenticated: number;
}

/** Options of {@link startVaultProxy}. */
export interface VaultProxyOptions {
  /** Vault origin, e.g. https://127.0.0.1:8443. */
  upstreamUrl: string;
  /** PEM CA that signed the vault's serving certificate. */
  upstreamCaFile: string;
  /** Serving certificate + key of the proxy (SAN 127.0.0.1). */
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Bind address. Default 127.0.0.1. */
  host?: string;
  /** Port. Default 0 (pick). */
  port?: number;
  /** Upstream sockets kept. Default 256. */
  maxSockets?: number;
}

/** A running proxy. */
export interface VaultProxy {
  /** `https://127.0.0.1:<port>`; use it as the vault URL (or `<url>/<vaultName>` with path-prefix addressing). */
  url: string;
  /** A snapshot of the counters. */
  counts(): ProxyCounts;
  /** Zeroes the counters. */
  reset(): void;
  /** Replaces all fault rules (an `unreachable` rule closes the listener; clearing it listens again on the same port). */
  setFaults(rules: FaultRule[]): Promise<void>;
  /** Removes all fault rules. */
  clearFaults(): Promise<void>;
  stop(): Promise<void>;
}

function emptyCounts(): ProxyCounts {
  return {
    total: 0,
    byStatus: {},
    operations: Object.fromEntries(
      PROXY_OPERATIONS.map((o) => [o, { total: 0, byStatus: {} }]),
    ) as ProxyCounts["operations"],
    injected: 0,
    unauthenticated: 0,
  };
}

/** Pure: the Key Vault error body of an injected status. */
export function faultBody(
  status: number,
  operation: ProxyOperation,
  objectName?: string,
): { error: { code: string; message: string; innererror?: { code: string } } } {
  if (status === 429) {
    return {
      error: {
        code: "Throttled",
        message:
          "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
      },
    };
  }
  if (status === 403) {
    return {
      error: {
        code: "Forbidden",
        message: "Caller is not authorized to perform action on resource. (injected)",
        innererror: { code: "ForbiddenByRbac" },
      },
    };
  }
  if (status === 404) {
    const code =
      operation === "getKey"
        ? "KeyNotFound"
        : operation === "getCertificate"
          ? "CertificateNotFound"
          : "SecretNotFound";
    return {
      error: {
        code,
        message: `An object with (name/id) ${objectName ?? "?"} was not found in this key vault. (injected)`,
      },
    };
  }
  if (status === 503)
    return {
      error: { code: "ServiceUnavailable", message: "The service is temporarily unavailable. (injected)" },
    };
  return { error: { code: "InternalServerError", message: `Injected status ${status}.` } };
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
]);

/** Starts a proxy in front of `upstreamUrl`. */
export async function startVaultProxy(options: VaultProxyOptions): Promise<VaultProxy> {
  const host = options.host ?? "127.0.0.1";
  const upstream = new URL(options.upstreamUrl);
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: options.maxSockets ?? 256,
    ca: readFileSync(options.upstreamCaFile),
  });
  let counts = emptyCounts();
  let rules: FaultRule[] = [];
  const sockets = new Set<Socket>();

  const record = (operation: ProxyOperation, status: string, injected: boolean, authenticated: boolean) => {
    counts.total++;
    counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
    const op = counts.operations[operation];
    op.total++;
    op.byStatus[status] = (op.byStatus[status] ?? 0) + 1;
    if (injected) counts.injected++;
    if (!authenticated) counts.unauthenticated++;
  };

  const takeFault = (operation: ProxyOperation, objectName?: string): Fault | undefined => {
    const index = rules.findIndex(
      (r) =>
        r.fault.kind !== "unreachable" &&
        (r.operation === undefined || r.operation === operation) &&
        (r.objectName === undefined || r.objectName.toLowerCase() === objectName?.toLowerCase()),
    );
    if (index < 0) return undefined;
    const rule = rules[index]!;
    if (rule.times !== undefined) {
      const left = rule.times - 1;
      rules =
        left > 0
          ? rules.map((r, i) => (i === index ? { ...r, times: left } : r))
          : rules.filter((_, i) => i !== index);
    }
    return rule.fault;
  };

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    operation: ProxyOperation,
    authenticated: boolean,
  ) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const upstreamReq = https.request(
      {
        protocol: "https:",
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
        servername: upstream.hostname === "127.0.0.1" ? undefined : upstream.hostname,
      },
      (upstreamRes) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(upstreamRes.headers))
          if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        res.writeHead(upstreamRes.statusCode ?? 502, out);
        upstreamRes.pipe(res);
        record(operation, String(upstreamRes.statusCode ?? 502), false, authenticated);
      },
    );
    upstreamReq.on("error", () => {
      record(operation, "502", false, authenticated);
      if (!res.headersSent) {
        const body = JSON.stringify({
          error: { code: "BadGateway", message: "the vault behind the proxy did not answer" },
        });
        res.writeHead(502, {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
        });
        res.end(body);
      } else res.destroy();
    });
    req.pipe(upstreamReq);
  };

  const server = https.createServer(
    {
      cert: readFileSync(options.tlsCertFile),
      key: readFileSync(options.tlsKeyFile),
      keepAlive: true,
      keepAliveTimeout: 30_000,
    },
    (req, res) => {
      const pathname = (req.url ?? "/").split("?")[0]!;
      const { operation, objectName } = classifyRequest(req.method ?? "GET", pathname);
      const authenticated = typeof req.headers.authorization === "string";
      const fault = takeFault(operation, objectName);
      if (!fault) {
        forward(req, res, operation, authenticated);
        return;
      }
      if (fault.kind === "reset") {
        record(operation, "reset", true, authenticated);
        req.socket.destroy();
        return;
      }
      if (fault.kind === "status") {
        req.resume();
        const body = JSON.stringify(faultBody(fault.status, operation, objectName));
        res.writeHead(fault.status, {
          "content-type": "application/json; charset=utf-8",
          "content-length": String(Buffer.byteLength(body)),
          ...(fault.retryAfterSeconds !== undefined
            ? { "retry-after": String(fault.retryAfterSeconds) }
            : {}),
        });
        res.end(body);
        record(operation, String(fault.status), true, authenticated);
      }
    },
  );
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const port = await listen(server, host, options.port ?? 0);
  let listening = true;
  let stopped = false;

  const applyReachability = async () => {
    const unreachable = rules.some((r) => r.fault.kind === "unreachable");
    if (unreachable && listening) {
      listening = false;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    } else if (!unreachable && !listening && !stopped) {
      await listen(server, host, port);
      listening = true;
    }
  };

  return {
    url: originOf(host, port),
    counts: () => structuredClone(counts),
    reset: () => {
      counts = emptyCounts();
    },
    async setFaults(next: FaultRule[]) {
      rules = next.map((r) => ({ ...r }));
      await applyReachability();
    },
    async clearFaults() {
      rules = [];
      await applyReachability();
    },
    async stop() {
      stopped = true;
      agent.destroy();
      if (listening) await closeServer(server);
      for (const s of sockets) s.destroy();
    },
  };
}
