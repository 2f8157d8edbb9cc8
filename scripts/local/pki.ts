/**
 * Certificates for the proving ground, made with the openssl CLI: one CA, a serving certificate for 127.0.0.1 /
 * localhost (shared by kube-apiserver and the local Azure endpoints), client certificates for each identity, and the
 * ServiceAccount token signing key pair. Everything is regenerated per ground; nothing is trusted globally — clients
 * are handed the CA file explicitly.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { GroundNetwork } from "./parts/node/network.ts";

/** A certificate + key on disk. */
export interface CertFiles {
  certFile: string;
  keyFile: string;
}

/** All PKI material of one ground. */
export interface GroundPki {
  /** Directory holding all of it. */
  dir: string;
  caFile: string;
  caKeyFile: string;
  serving: CertFiles;
  /** Client certs keyed by purpose. */
  clients: Record<ClientName, CertFiles>;
  /** RSA key pair that signs ServiceAccount tokens. */
  serviceAccountKeyFile: string;
  serviceAccountPubFile: string;
}

/** Client identities the ground uses, with their Kubernetes user (CN) and groups (O). */
export const CLIENT_IDENTITIES = {
  admin: { user: "keyfleet-admin", groups: ["system:masters"] },
  controllerManager: { user: "system:kube-controller-manager", groups: [] },
  developer: { user: "keyfleet-dev", groups: ["keyfleet:devs"] },
  identityEndpoint: { user: "keyfleet-identity-endpoint", groups: [] },
  scheduler: { user: "system:kube-scheduler", groups: [] },
  /** kube-apiserver's client certificate towards kubelets (`kubectl logs`, `exec`); bound to system:kubelet-api-admin. */
  kubeletClient: { user: "keyfleet-apiserver-kubelet-client", groups: [] },
} as const;
/** Names of {@link CLIENT_IDENTITIES}. */
export type ClientName = keyof typeof CLIENT_IDENTITIES;

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Pure: the `-subj` string for a client identity. */
export function subjectFor(user: string, groups: readonly string[]): string {
  return `/CN=${user}` + groups.map((g) => `/O=${g}`).join("");
}

/** Extensions of a client certificate. */
export const CLIENT_EXTENSIONS =
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n";

/** Issues a certificate signed by the ground's CA into `dir` (`<name>.crt`, `<name>.key`). */
export function issueCertificate(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
  ca: { caFile: string; caKeyFile: string },
): CertFiles {
  const keyFile = path.join(dir, `${name}.key`);
  const csrFile = path.join(dir, `${name}.csr`);
  const certFile = path.join(dir, `${name}.crt`);
  const extFile = path.join(dir, `${name}.ext`);
  writeFileSync(extFile, extensions);
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyFile]);
  openssl(["req", "-new", "-key", keyFile, "-subj", subject, "-out", csrFile]);
  openssl([
    "x509",
    "-req",
    "-in",
    csrFile,
    "-CA",
    ca.caFile,
    "-CAkey",
    ca.caKeyFile,
    "-CAcreateserial",
    "-days",
    "30",
    "-sha256",
    "-extfile",
    extFile,
    "-out",
    certFile,
  ]);
  return { certFile, keyFile };
}

/** Creates a fresh PKI under `dir/pki`. Takes well under a second (EC keys). */
export function createPki(dir: string, network: GroundNetwork): GroundPki {
  const pkiDir = path.join(dir, "pki");
  mkdirSync(pkiDir, { recursive: true, mode: 0o700 });
  const caKeyFile = path.join(pkiDir, "ca.key");
  const caFile = path.join(pkiDir, "ca.crt");
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", caKeyFile]);
  openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    caKeyFile,
    "-subj",
    "/CN=keyfleet-proving-ground-ca",
    "-days",
    "30",
    "-sha256",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    caFile,
  ]);
  const ca = { caFile, caKeyFile };
  // Pods reach the apiserver at the kubernetes Service address and the local Azure endpoints at the node's gateway
  // address (scripts/local/parts/node/network.ts: the ground's own network); the one serving certificate names all of them.
  const serving = issueCertificate(
    pkiDir,
    "serving",
    "/CN=127.0.0.1",
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" +
      `subjectAltName=IP:127.0.0.1,DNS:localhost,IP:${network.kubernetesServiceIp},DNS:kubernetes.default.svc,IP:${network.gatewayIp}\n`,
    ca,
  );
  const clients = Object.fromEntries(
    Object.entries(CLIENT_IDENTITIES).map(([name, id]) => [
      name,
      issueCertificate(pkiDir, `client-${name}`, subjectFor(id.user, id.groups), CLIENT_EXTENSIONS, ca),
    ]),
  ) as Record<ClientName, CertFiles>;
  const serviceAccountKeyFile = path.join(pkiDir, "sa.key");
  const serviceAccountPubFile = path.join(pkiDir, "sa.pub");
  openssl([
    "genpkey",
    "-algorithm",
    "RSA",
    "-pkeyopt",
    "rsa_keygen_bits:2048",
    "-out",
    serviceAccountKeyFile,
  ]);
  openssl(["pkey", "-in", serviceAccountKeyFile, "-pubout", "-out", serviceAccountPubFile]);
  return { dir: pkiDir, caFile, caKeyFile, serving, clients, serviceAccountKeyFile, serviceAccountPubFile };
}

/** Pure: a kubeconfig (YAML-compatible JSON) for one client certificate. */
export function kubeconfigFor(server: string, caFile: string, user: string, cert: CertFiles): string {
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "keyfleet-local", cluster: { server, "certificate-authority": caFile } }],
      users: [{ name: user, user: { "client-certificate": cert.certFile, "client-key": cert.keyFile } }],
      contexts: [{ name: "keyfleet-local", context: { cluster: "keyfleet-local", user } }],
      "current-context": "keyfleet-local",
    },
    null,
    2,
  );
}
