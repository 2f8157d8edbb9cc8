import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { loadFleetConfig, STACKS_DIR } from "./load.ts";
import {
  configuredKeys,
  MissingSecretConfigError,
  missingSecrets,
  requiredSecrets,
  setCommand,
  type RequiredSecret,
} from "./secrets.ts";

describe("requiredSecrets", () => {
  it("dev: the seed value (typed at the prompt) and the Arc kubeconfig (piped from a file)", () => {
    assert.deepEqual(requiredSecrets(loadFleetConfig("dev")), [
      {
        key: "seedDbPassword",
        purpose: 'value of secret "db-password" in vault kf-dev-weu',
        from: { prompt: true },
      },
      {
        key: "kubeconfigArcDevLab",
        purpose: "kubeconfig of cluster arc-dev-lab",
        from: { file: "arc-dev-lab.kubeconfig" },
      },
    ]);
  });
  it("prod: one kubeconfig per Arc and edge cluster, each once", () => {
    const keys = requiredSecrets(loadFleetConfig("prod")).map((s) => s.key);
    assert.equal(keys.length, 62);
    assert.equal(new Set(keys).size, 62);
    assert.ok(
      keys.includes("kubeconfig-arc-westeurope-001") && keys.includes("kubeconfig-edge-swedencentral-006"),
    );
  });
  it("local: none (generated seeds, the ground's kubeconfig)", () => {
    assert.deepEqual(requiredSecrets(loadFleetConfig("local")), []);
  });
});

describe("setCommand and the error", () => {
  const cases: Array<[RequiredSecret, string]> = [
    [
      { key: "seedDbPassword", purpose: "p", from: { prompt: true } },
      "pulumi config set --secret --stack dev keyfleet:seedDbPassword   # prompts for the value",
    ],
    [
      { key: "kubeconfigX", purpose: "p", from: { file: "x.kubeconfig" } },
      "pulumi config set --secret --stack dev keyfleet:kubeconfigX < x.kubeconfig   # the file holding it",
    ],
  ];
  for (const [secret, command] of cases)
    it(secret.key, () => assert.equal(setCommand("dev", secret), command));

  it("names every missing key, what it is for and its command", () => {
    const error = new MissingSecretConfigError("dev", requiredSecrets(loadFleetConfig("dev")));
    assert.equal(
      error.message,
      [
        'stack "dev" needs 2 secret config values that are not set:',
        '  keyfleet:seedDbPassword — value of secret "db-password" in vault kf-dev-weu',
        "    pulumi config set --secret --stack dev keyfleet:seedDbPassword   # prompts for the value",
        "  keyfleet:kubeconfigArcDevLab — kubeconfig of cluster arc-dev-lab",
        "    pulumi config set --secret --stack dev keyfleet:kubeconfigArcDevLab < arc-dev-lab.kubeconfig   # the file holding it",
      ].join("\n"),
    );
  });
});

describe("configuredKeys", () => {
  it("reads plain and secure keyfleet keys from a stack file, as the CLI writes them", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "keyfleet-keys-"));
    const text = readFileSync(path.join(STACKS_DIR, "Pulumi.dev.yaml"), "utf8").replace(
      /^config:\n/m,
      "config:\n  keyfleet:seedDbPassword:\n    secure: v1:abc:def\n  keyfleet:plain: x\n  other:key: y\n",
    );
    writeFileSync(path.join(dir, "Pulumi.dev.yaml"), text);
    const keys = configuredKeys("dev", dir);
    assert.deepEqual([...keys].sort(), ["fleet", "plain", "seedDbPassword"]);
    assert.deepEqual(
      missingSecrets(loadFleetConfig("dev", dir), (k) => keys.has(k)).map((m) => m.key),
      ["kubeconfigArcDevLab"],
    );
  });
});
