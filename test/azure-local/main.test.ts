/**
 * The CLI contract `node test/azure-local/main.ts --config <file.json>`: exactly one ready line with the
 * LocalVault/LocalIdentity description, a clean exit on SIGTERM, a clear error naming the bad config key, and
 * state that survives a SIGKILL (restarted on the same ports).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { LocalIdentity, LocalVault } from "../../scripts/local/env.ts";
import { READY_PREFIX } from "./main.ts";
import { adminCredential, localVaultClients } from "./sdk.ts";
import { createTestPki, type TestPki } from "./test-support.ts";

const MAIN = path.join(import.meta.dirname, "main.ts");

function configFor(pki: TestPki, patch: Record<string, unknown> = {}): string {
  const file = path.join(pki.dir, `config-${Object.keys(patch).join("-") || "ok"}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      host: "127.0.0.1",
      vaultPort: 0,
      identityPort: 0,
      tlsCertFile: pki.certFile,
      tlsKeyFile: pki.keyFile,
      caFile: pki.caFile,
      stateDir: path.join(pki.dir, "state"),
      serveVault: true,
      vaultNames: ["kv-cli", "kv-cli-two"],
      tenantId: "00000000-0000-4000-8000-0000000000cc",
      kubernetes: {
        apiServerUrl: "https://127.0.0.1:1",
        caFile: pki.caFile,
        clientCertFile: pki.certFile,
        clientKeyFile: pki.keyFile,
        serviceAccountIssuer: "https://127.0.0.1:1",
      },
      ...patch,
    }),
  );
  return file;
}

/** Starts the CLI and resolves with its ready line's description. */
async function startCli(configFile: string) {
  const child = spawn(process.execPath, [MAIN, "--config", configFile], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout.setEncoding("utf8");
  child.stderr.resume();
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      const ready = stdout.split("\n").find((l) => l.startsWith(READY_PREFIX));
      if (ready) resolve(ready);
    });
    child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
  });
  const described = JSON.parse(line.slice(READY_PREFIX.length)) as {
    vault: LocalVault;
    identity: LocalIdentity;
  };
  return { child, ...described };
}

describe("azure-local CLI", () => {
  let pki: TestPki;
  before(() => {
    pki = createTestPki();
  });
  after(() => pki.remove());

  it("prints one ready line and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, [MAIN, "--config", configFor(pki)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    const ready = new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: string) => {
        stdout += chunk;
        const line = stdout.split("\n").find((l) => l.startsWith(READY_PREFIX));
        if (line) resolve(line);
      });
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    const line = await ready;
    const { vault, identity } = JSON.parse(line.slice(READY_PREFIX.length)) as {
      vault: LocalVault;
      identity: LocalIdentity;
    };
    assert.equal(vault.kind, "keyfleet-vault-emulator");
    assert.equal(vault.vaultName, "kv-cli");
    assert.equal(vault.serviceVersion, "7.6");
    assert.equal(vault.caFile, pki.caFile);
    assert.match(vault.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(vault.extra.urlTemplate, `${vault.url}/{name}`);
    assert.deepEqual(Object.keys(JSON.parse(vault.extra.vaultUrls!) as object), ["kv-cli", "kv-cli-two"]);
    assert.equal(identity.tenantId, "00000000-0000-4000-8000-0000000000cc");
    assert.match(identity.authorityHost, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(identity.extra.managementUrl && identity.extra.managementKeyFile);
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 0);
    assert.equal(stdout.split("\n").filter((l) => l.startsWith(READY_PREFIX)).length, 1);
  });

  it("keeps every acknowledged write through a SIGKILL and comes back on the same ports", async () => {
    const config = configFor(pki, { stateDir: path.join(pki.dir, "state-killed") });
    const first = await startCli(config);
    const clients = localVaultClients(first.vault.url, adminCredential(first.identity), pki.caPem, {
      retryOptions: { maxRetries: 0 },
    });
    await clients.secrets.setSecret("db", "before-the-kill");
    first.child.kill("SIGKILL");
    await once(first.child, "exit");
    const second = await startCli(config);
    try {
      assert.equal(second.vault.url, first.vault.url);
      assert.equal(second.identity.authorityHost, first.identity.authorityHost);
      const again = localVaultClients(second.vault.url, adminCredential(second.identity), pki.caPem, {
        retryOptions: { maxRetries: 0 },
      });
      assert.equal((await again.secrets.getSecret("db")).value, "before-the-kill");
    } finally {
      second.child.kill("SIGTERM");
      await once(second.child, "exit");
    }
  });

  it("refuses a bad config naming the key", async () => {
    const child = spawn(process.execPath, [MAIN, "--config", configFor(pki, { host: "0.0.0.0" })], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 1);
    assert.match(stderr, /host: must be a loopback address/);
  });
});
