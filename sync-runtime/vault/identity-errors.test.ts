import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mapProviderError, ServiceAccountTokenError } from "./errors.ts";
import { ProviderErrorKind } from "./types.ts";

const identity = {
  namespace: "payments",
  serviceAccountName: "payments-sync",
  tenantId: "11111111-2222-3333-4444-555555555555",
  clientId: "0f0f0f0f-0000-4000-8000-000000000000",
};
const subject = { vaultName: "kv1", objectType: "secret" as const, objectName: "db-password", identity };

/** What @azure/identity throws when MSAL gets an error answer from the token endpoint. */
function entraRefusal(aadsts: number, status = 400) {
  const server = Object.assign(new Error(`Error(s): ${aadsts} - Description: AADSTS${aadsts}: ...`), {
    name: "ServerError",
    errorCode: "invalid_client",
    errorNo: aadsts,
    status,
  });
  return Object.assign(new Error("could not get a token", { cause: server }), {
    name: "AuthenticationRequiredError",
  });
}
/** What the client factory throws when the TokenRequest fails. */
function tokenRequestFailed(status?: number) {
  return new Error("assertion callback failed", {
    cause: new ServiceAccountTokenError("TokenRequest failed", {
      cause: Object.assign(new Error("TokenRequest for ServiceAccount payments/payments-sync failed"), {
        status,
      }),
    }),
  });
}

const SUBJECT = "system:serviceaccount:payments:payments-sync";
const CLIENT = "client id 0f0f0f0f-0000-4000-8000-000000000000";

void describe("identity failures name their cause", () => {
  const cases: Array<[string, unknown, ProviderErrorKind, string | undefined, RegExp[]]> = [
    [
      "unknown client id",
      entraRefusal(700016),
      ProviderErrorKind.accessDenied,
      "AADSTS700016",
      [
        /\(AADSTS700016\): client id 0f0f0f0f-\S+ is not an application in tenant 11111111-/,
        /subject system:serviceaccount:payments:payments-sync/,
      ],
    ],
    [
      "no federated credential for the subject",
      entraRefusal(70021),
      ProviderErrorKind.accessDenied,
      "AADSTS70021",
      [new RegExp(`\\(AADSTS70021\\): ${CLIENT} has no federated credential for subject ${SUBJECT}`)],
    ],
    [
      "wrong tenant",
      entraRefusal(90002),
      ProviderErrorKind.accessDenied,
      "AADSTS90002",
      [
        /\(AADSTS90002\): tenant 11111111-2222-3333-4444-555555555555 was not found; check tenantID/,
        new RegExp(CLIENT),
      ],
    ],
    [
      "wrong audience",
      entraRefusal(700212),
      ProviderErrorKind.accessDenied,
      "AADSTS700212",
      [
        new RegExp(
          `\\(AADSTS700212\\): no federated credential of ${CLIENT} for subject ${SUBJECT} accepts the audience api://AzureADTokenExchange`,
        ),
      ],
    ],
    [
      "issuer not trusted",
      entraRefusal(700211),
      ProviderErrorKind.accessDenied,
      "AADSTS700211",
      [/trusts this cluster's ServiceAccount issuer/],
    ],
    [
      "an AADSTS code keyfleet does not explain is passed through",
      entraRefusal(7000215),
      ProviderErrorKind.accessDenied,
      "AADSTS7000215",
      [new RegExp(`refused \\(AADSTS7000215\\) for ${CLIENT}, subject ${SUBJECT}, tenant 11111111-`)],
    ],
    [
      "the identity endpoint's outage is retried",
      entraRefusal(50196, 503),
      ProviderErrorKind.unavailable,
      "AADSTS50196",
      [/AADSTS50196/],
    ],
    [
      "a tenant other than the vault's (the Azure SDK stops before any exchange)",
      Object.assign(
        new Error(
          "The current credential is not configured to acquire tokens for tenant 99999999-8888-7777-6666-555555555555. To enable ...",
        ),
        { name: "CredentialUnavailableError" },
      ),
      ProviderErrorKind.accessDenied,
      undefined,
      [
        /^tenantID 11111111-2222-3333-4444-555555555555 of the SecretProviderClass is not the vault's tenant: its authentication challenge names tenant 99999999-8888-7777-6666-555555555555; set tenantID to it/,
        new RegExp(`${CLIENT}, subject ${SUBJECT}`),
      ],
    ],
    [
      "a ServiceAccount that does not exist",
      tokenRequestFailed(404),
      ProviderErrorKind.accessDenied,
      undefined,
      [
        /^ServiceAccount payments\/payments-sync does not exist \(spec\.serviceAccountName\)/,
        new RegExp(CLIENT),
      ],
    ],
    [
      "a ServiceAccount the runtime may not use",
      tokenRequestFailed(403),
      ProviderErrorKind.accessDenied,
      undefined,
      [/may not request a token for ServiceAccount payments\/payments-sync \(HTTP 403\)/],
    ],
    [
      "a TokenRequest without an answer (does not count against the vault)",
      tokenRequestFailed(undefined),
      ProviderErrorKind.accessDenied,
      undefined,
      [
        /no token could be requested for ServiceAccount payments\/payments-sync \(the apiserver did not answer\)/,
      ],
    ],
  ];
  for (const [name, error, kind, code, messages] of cases) {
    void it(name, () => {
      const info = mapProviderError(error, subject, 0);
      assert.equal(info.kind, kind);
      assert.equal(info.code, code);
      for (const m of messages) assert.match(info.message, m);
      assert.match(info.message, /\(reading secret "db-password" \(latest version\) in vault "kv1"\)$/);
    });
  }
});
