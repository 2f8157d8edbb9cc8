/** The runtime's HTTP endpoints: `/healthz`, `/readyz` (health port) and `/metrics` (metrics port). */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** Health checks the server answers. */
export interface HealthChecks {
  /** Liveness: the process and its loop are working. */
  live(): boolean;
  /** Readiness: caches synced (or standing by as a non-leader). */
  ready(): boolean;
}

/** A listening server and how to stop it. */
export interface Listening {
  port: number;
  close(): Promise<void>;
}

function listen(server: http.Server, port: number, host: string): Promise<Listening> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolve({
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Serves /healthz and /readyz (and /metrics too when `registry` is given, for a single-port setup). */
export function serveHealth(
  checks: HealthChecks,
  port: number,
  host = "0.0.0.0",
  registry?: Registry,
): Promise<Listening> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz" || path === "/livez") {
      const ok = checks.live();
      res.writeHead(ok ? 200 : 500, { "content-type": "text/plain" }).end(ok ? "ok\n" : "unhealthy\n");
    } else if (path === "/readyz") {
      const ok = checks.ready();
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok\n" : "not ready\n");
    } else if (path === "/metrics" && registry) {
      void metricsResponse(registry, res);
    } else {
      res.writeHead(404).end();
    }
  });
  return listen(server, port, host);
}

async function metricsResponse(registry: Registry, res: http.ServerResponse): Promise<void> {
  try {
    const body = await registry.metrics();
    res.writeHead(200, { "content-type": registry.contentType }).end(body);
  } catch {
    res.writeHead(500).end();
  }
}

/** Serves /metrics from the registry. */
export function serveMetrics(registry: Registry, port: number, host = "0.0.0.0"): Promise<Listening> {
  const server = http.createServer((req, res) => {
    if ((req.url ?? "/").split("?")[0] === "/metrics") void metricsResponse(registry, res);
    else res.writeHead(404).end();
  });
  return listen(server, port, host);
}
