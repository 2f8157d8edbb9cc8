/**
 * The few kube-apiserver calls the proving ground makes while it starts (as the admin client certificate): create an
 * object (tolerating one that exists) and read one. Tests and the product use @kubernetes/client-node; the ground
 * keeps to node:https so it can run before anything else is set up.
 */
import { readFileSync } from "node:fs";
import https from "node:https";
import type { GroundPki } from "./pki.ts";

/** TLS material of the ground's admin client. */
export interface AdminTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** The admin client's TLS material from the ground's PKI. */
export function adminTls(pki: GroundPki): AdminTls {
  return {
    ca: readFileSync(pki.caFile),
    cert: readFileSync(pki.clients.admin.certFile),
    key: readFileSync(pki.clients.admin.keyFile),
  };
}

function request(
  base: string,
  tls: AdminTls,
  method: string,
  pathName: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${base}${pathName}`,
      { method, ...tls, headers: { "content-type": "application/json" }, timeout: 10_000 },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${pathName}: timeout`)));
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Creates an object; an existing one (409) is fine. */
export async function createObject(
  base: string,
  tls: AdminTls,
  collection: string,
  body: unknown,
): Promise<void> {
  const res = await request(base, tls, "POST", collection, body);
  if (res.status !== 201 && res.status !== 409)
    throw new Error(`POST ${collection}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
}

/** Reads an object; undefined when it does not exist. */
export async function getObject<T>(base: string, tls: AdminTls, pathName: string): Promise<T | undefined> {
  const res = await request(base, tls, "GET", pathName);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${pathName}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body) as T;
}

/** A ClusterRoleBinding of one user to a ClusterRole. */
export function userClusterRoleBinding(name: string, clusterRole: string, user: string): object {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
  };
}
