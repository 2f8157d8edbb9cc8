import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { change, compliantFleet, type Inputs } from "../../test/support/policy-fixtures.ts";
import { messagesOf } from "../../test/support/policy-violations.ts";
import { pollIntervalBounds } from "./poll-interval-bounds.ts";

const addonPoll = (value: string) => (i: Inputs) => {
  i.addonProfiles.azureKeyvaultSecretsProvider.config.rotationPollInterval = value;
};

describe("keyfleet-poll-interval-bounds", () => {
  it("passes the compliant fleet", async () => {
    assert.deepEqual(await messagesOf(pollIntervalBounds, compliantFleet()), []);
  });

  const CASES: Array<[string, string, (i: Inputs) => void, RegExp, Record<string, unknown>?]> = [
    [
      "add-on poll below the minimum",
      "aks-1-cluster",
      addonPoll("30s"),
      /aks-addon addonProfiles.azureKeyvaultSecretsProvider.config.rotationPollInterval is 30 s; allowed 60–86400 s/,
    ],
    [
      "add-on poll without a unit",
      "aks-1-cluster",
      addonPoll("120"),
      /aks-addon: rotationPollInterval "120" is not a duration such as "2m"/,
    ],
    [
      "Arc poll that is not whole seconds",
      "arc-1-sse-ext",
      (i) => {
        i.configurationSettings.rotationPollIntervalInSeconds = "1h";
      },
      /arc-extension: rotationPollIntervalInSeconds and jitterSeconds must be whole seconds as strings/,
    ],
    [
      "Arc poll + jitter above the maximum staleness",
      "arc-1-sse-ext",
      (i) => {
        i.configurationSettings.rotationPollIntervalInSeconds = "7000";
        i.configurationSettings.jitterSeconds = "600";
      },
      /arc-extension poll 7000 s \+ jitter 600 s = 7600 s worst-case staleness; allowed at most 7200 s/,
    ],
    [
      "runtime poll set from a reference instead of plain config",
      "edge-1-runtime-deployment",
      (i) => {
        i.spec.template.spec.containers[0].env[1] = {
          name: "KEYFLEET_ROTATION_POLL_INTERVAL_SECONDS",
          valueFrom: { configMapKeyRef: { name: "x", key: "y" } },
        };
      },
      /bundled: KEYFLEET_ROTATION_POLL_INTERVAL_SECONDS and KEYFLEET_JITTER_SECONDS must be literal whole seconds/,
    ],
    [
      "runtime poll above a configured maximum",
      "edge-1-runtime-deployment",
      (i) => {
        i.spec.template.spec.containers[0].env[1].value = "4000";
      },
      /bundled env KEYFLEET_ROTATION_POLL_INTERVAL_SECONDS is 4000 s; allowed 60–3600 s/,
      { maxPollIntervalSeconds: 3600 },
    ],
  ];
  for (const [name, resource, mutate, expected, config] of CASES) {
    it(`flags ${name}`, async () => {
      const messages = await messagesOf(
        pollIntervalBounds,
        change(compliantFleet(), resource, mutate),
        config,
      );
      assert.equal(messages.length, 1, messages.join("\n"));
      assert.match(messages[0]!, expected);
    });
  }

  it("treats an unknown poll (an Output during preview) as advisory, like pulumi preview", async () => {
    const fleet = change(compliantFleet(), "arc-1-sse-ext", (i) => {
      i.configurationSettings.jitterSeconds = "[unknown]";
    });
    const [violation, ...rest] = await (
      await import("../../test/support/policy-violations.ts")
    ).violationsOf(pollIntervalBounds, fleet);
    assert.equal(rest.length, 0);
    assert.equal(violation!.enforcementLevel, "advisory");
    assert.match(
      violation!.message,
      /can't run policy 'keyfleet-poll-interval-bounds' during preview: configurationSettings.jitterSeconds is unknown/,
    );
  });
});
