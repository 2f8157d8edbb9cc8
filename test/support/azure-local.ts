/**
 * Test helpers for the local Azure stand-in: a throwaway PKI (openssl CLI, EC P-256: a CA and a serving
 * certificate for 127.0.0.1/localhost) and an isolated in-process instance with the admin credential and clients.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TokenCredential } from "@azure/identity";
import { AzureLocalAdminClient } from "../azure-local/admin-client.ts";
import type { AzureLocalConfigInput } from "../azure-local/config.ts";
import { startAzureLocal, type AzureLocal } from "../azure-local/main.ts";
import { adminCredential, localVaultClients, type LocalVaultClients } from "../azure-local/sdk.ts";

/** Files of a throwaway PKI. */
export interface TestPki {
  dir: string;
  caFile: string;
  caKeyFile: string;
  certFile: string;
  keyFile: string;
  caPem: string;
  /** Removes the directory. */
  remove(): void;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Creates a CA and a serving certificate (SAN IP:127.0.0.1, DNS:localhost) in a new temp directory. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), "kf-azlocal-pki-"));
  const f = (name: string) => path.join(dir, name);
  const ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
  openssl(["genpkey", ...ec, "-out", f("ca.key")]);
  openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    f("ca.key"),
    "-subj",
    "/CN=azure-local-test-ca",
    "-days",
    "2",
    "-sha256",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    f("ca.crt"),
  ]);
  openssl(["genpkey", ...ec, "-out", f("serving.key")]);
  openssl(["req", "-new", "-key", f("serving.key"), "-subj", "/CN=127.0.0.1", "-out", f("serving.csr")]);
  writeFileSync(
    f("serving.ext"),
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" +
      "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
  );
  openssl([
    "x509",
    "-req",
    "-in",
    f("serving.csr"),
    "-CA",
    f("ca.crt"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-sha256",
    "-extfile",
    f("serving.ext"),
    "-out",
    f("serving.crt"),
  ]);
  return {
    dir,
    caFile: f("ca.crt"),
    caKeyFile: f("ca.key"),
    certFile: f("serving.crt"),
    keyFile: f("serving.key"),
    caPem: readFileSync(f("ca.crt"), "utf8"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An isolated in-process instance with what tests need. */
export interface TestInstance {
  pki: TestPki;
  local: AzureLocal;
  admin: AzureLocalAdminClient;
  adminCredential: TokenCredential;
  /** Admin clients of the default vault. */
  adminClients: LocalVaultClients;
  /** Log lines the instance wrote (to assert that no secret value appears). */
  logLines: string[];
  stop(): Promise<void>;
}

/**
 * Starts an instance on free ports with a fresh PKI. `kubernetes` defaults to an unreachable apiserver (fine for
 * everything except the token exchange of ServiceAccount tokens).
 */
export async function startTestInstance(
  overrides: Partial<AzureLocalConfigInput> = {},
): Promise<TestInstance> {
  const pki = createTestPki();
  const logLines: string[] = [];
  const config: AzureLocalConfigInput = {
    host: "127.0.0.1",
    tlsCertFile: pki.certFile,
    tlsKeyFile: pki.keyFile,
    caFile: pki.caFile,
    stateDir: path.join(pki.dir, "state"),
    tenantId: "00000000-0000-4000-8000-0000000000aa",
    vaultNames: ["kv-test"],
    kubernetes: {
      apiServerUrl: "https://127.0.0.1:1",
      caFile: pki.caFile,
      clientCertFile: pki.certFile,
      clientKeyFile: pki.keyFile,
      serviceAccountIssuer: "https://127.0.0.1:1",
    },
    ...overrides,
  };
  const local = await startAzureLocal(config, { log: (line) => logLines.push(line) });
  const admin = AzureLocalAdminClient.fromLocalIdentity(local.identity);
  const credential = adminCredential(local.identity);
  const adminClients = localVaultClients(local.vault!.url, credential, pki.caPem, {
    retryOptions: { maxRetries: 0 },
  });
  return {
    pki,
    local,
    admin,
    adminCredential: credential,
    adminClients,
    logLines,
    async stop() {
      admin.close();
      await local.stop();
      pki.remove();
    },
  };
}
