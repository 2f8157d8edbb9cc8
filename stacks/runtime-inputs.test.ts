import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type { LocalEnvironment } from "../scripts/local/env.ts";
import { asciiOnly, buildRuntimeBundle, localInputsFrom } from "./runtime-inputs.ts";

describe("asciiOnly", () => {
  const cases: Array<[string, string]> = [
    ["plain ascii", "plain ascii"],
    ["/['\u2018\u2019]/g", "/['\\u2018\\u2019]/g"],
    ["x = '\u00e9'", "x = '\\u00e9'"],
    ["emoji \u{1f600}", "emoji \\ud83d\\ude00"],
  ];
  for (const [input, expected] of cases) {
    it(`escapes ${JSON.stringify(input)}`, () => assert.equal(asciiOnly(input), expected));
  }

  it("keeps the meaning of strings, templates and regular expressions", () => {
    const source = "return [`\u2018${1}\u00e9`, '\u{1f600}', /[\u2018\u2019]/u.test('\u2019')];";
    const escaped = asciiOnly(source);
    assert.doesNotMatch(escaped, /[\u0080-\uffff]/);
    assert.deepEqual(new Function(escaped)(), new Function(source)());
  });
});

describe("buildRuntimeBundle", () => {
  it("is ASCII only, so V8 stores the source one byte per character", () => {
    assert.doesNotMatch(buildRuntimeBundle(), /[\u0080-\uffff]/);
  });
});

describe("localInputsFrom", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyfleet-inputs-"));
  writeFileSync(path.join(dir, "admin.kubeconfig"), "apiVersion: v1\nkind: Config\n");
  const ground = {
    envFile: "/g/env.json",
    kubernetes: {
      adminKubeconfig: path.join(dir, "admin.kubeconfig"),
      serviceAccountIssuer: "https://127.0.0.1:6443",
    },
    vault: { vaultName: "kv", url: "https://127.0.0.1:8443" },
    identity: { tenantId: "t", authorityHost: "https://127.0.0.1:8444" },
  } as unknown as LocalEnvironment;
  const node = {
    images: { node: "node:imported", pause: "pause" },
    endpoints: { vaultUrl: "https://10.244.0.1:8443", authorityHost: "https://10.244.0.1:8444" },
    podCaFile: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
  };

  it("without a node: the runtime gets the loopback endpoints (a runtime on this host); no node image", () => {
    const inputs = localInputsFrom(ground);
    assert.deepEqual(inputs.runtimeEnv, {
      KEYFLEET_VAULT_URLS: "kv=https://127.0.0.1:8443",
      AZURE_AUTHORITY_HOST: "https://127.0.0.1:8444",
    });
    assert.equal(inputs.nodeImage, undefined);
    assert.deepEqual(
      [inputs.ground, inputs.serviceAccountIssuer, inputs.vaultUrl],
      ["/g/env.json", "https://127.0.0.1:6443", "https://127.0.0.1:8443"],
    );
  });

  it("with a node: pods get the node's endpoints, CA and image; Pulumi's own side stays on loopback", () => {
    const inputs = localInputsFrom({ ...ground, node } as LocalEnvironment);
    assert.deepEqual(inputs.runtimeEnv, {
      KEYFLEET_VAULT_URLS: "kv=https://10.244.0.1:8443",
      AZURE_AUTHORITY_HOST: "https://10.244.0.1:8444",
      KEYFLEET_CA_FILE: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
    });
    assert.equal(inputs.nodeImage, "node:imported");
    assert.equal(inputs.vaultUrl, "https://127.0.0.1:8443");
  });

  it("asks for the Kubernetes provider the ground's engine built, and for none without the engine", () => {
    assert.equal(localInputsFrom(ground).kubernetesProviderVersion, undefined);
    const pulumi = { versions: { cli: "v3.276.0", languageHost: "v3.68.0", kubernetesProvider: "v4.25.0" } };
    assert.equal(
      localInputsFrom({ ...ground, pulumi } as LocalEnvironment).kubernetesProviderVersion,
      "4.25.0",
    );
  });
});
