/**
 * Why a workload identity could not get a Key Vault token, told so a user can act: the ServiceAccount is missing
 * or may not be used, or Entra ID refused the exchange — each refusal with the client id, the subject
 * (`system:serviceaccount:<ns>:<sa>`) and the identity endpoint's own code (AADSTS…), which real Entra ID and the
 * local stand-in both send. Pure: the thrown value in, a value-free {@link ProviderErrorInfo} out.
 */
import { TOKEN_EXCHANGE_AUDIENCE } from "../constants.ts";
import { describeSubject } from "./messages.ts";
import type { MessageSubject } from "./messages.ts";
import { ProviderErrorKind } from "./types.ts";
import type { ProviderErrorInfo, RequestIdentity } from "./types.ts";

/** Entra ID error numbers keyfleet explains (AADSTS<n>). */
export const EntraError = {
  /** Application with identifier … was not found in the directory. */
  unknownClient: 700016,
  /** No matching federated identity record found for presented assertion (subject). */
  noFederatedCredential: 70021,
  /** …for presented assertion issuer. */
  issuerMismatch: 700211,
  /** …for presented assertion audience. */
  audienceMismatch: 700212,
  /** Tenant not found. */
  tenantNotFound: 90002,
  /** The tenant identifier is neither a GUID nor a domain. */
  tenantInvalid: 900023,
  /** The client assertion is not within its valid time range. */
  assertionExpired: 700024,
  /** The client assertion failed signature validation. */
  assertionSignature: 700027,
} as const;

/** What the cause chain says about an identity failure: Entra's code and HTTP status, or the TokenRequest's. */
export interface IdentityFacts {
  /** AADSTS number, when the identity endpoint sent one. */
  aadsts?: number;
  /** HTTP status of the identity endpoint's answer. */
  status?: number;
  /** The ServiceAccount TokenRequest failed (before any exchange); its HTTP status when the apiserver answered. */
  tokenRequest?: { status?: number };
  /** MSAL could not resolve the authority's endpoints (unreachable, or it refused the tenant). */
  endpointsUnresolved?: boolean;
  /**
   * The vault's authentication challenge named another tenant than the class's `tenantID`, and the Azure SDK
   * refused to ask for a token there (before any exchange): the vault's tenant.
   */
  challengeTenant?: string;
}

interface ErrorLike {
  name?: unknown;
  cause?: unknown;
  message?: unknown;
  errorNo?: unknown;
  errorCode?: unknown;
  status?: unknown;
  statusCode?: unknown;
  errorResponse?: { errorCodes?: unknown; error?: unknown };
}

const AADSTS = /\bAADSTS(\d{4,8})\b/;
/** @azure/identity's refusal to follow a vault's challenge into another tenant (only the GUID is read). */
const OTHER_TENANT = /not configured to acquire tokens for tenant ([0-9A-Fa-f-]{36})\b/;

function numberOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\d{1,9}$/.test(value)) return Number(value);
  return undefined;
}

/** Adds what one error of the chain says (first answer wins for code and status). */
function readOne(e: ErrorLike, facts: IdentityFacts): void {
  const text = typeof e.message === "string" ? e.message : "";
  const codes = e.errorResponse?.errorCodes;
  facts.aadsts ??=
    numberOf(e.errorNo) ??
    (Array.isArray(codes) ? numberOf(codes[0]) : undefined) ??
    numberOf(AADSTS.exec(text)?.[1]);
  facts.status ??= numberOf(e.statusCode) ?? numberOf(e.status);
  const tenant = OTHER_TENANT.exec(text)?.[1];
  if (e.name === "CredentialUnavailableError" && tenant) facts.challengeTenant ??= tenant;
  else if (e.errorCode === "endpoints_resolution_error" || /endpoints_resolution_error/.test(text))
    facts.endpointsUnresolved = true;
}

/** Reads the identity facts along a cause chain (pure, bounded). */
export function identityFacts(error: unknown): IdentityFacts {
  const facts: IdentityFacts = {};
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const e = current as ErrorLike;
    if (e.name === "ServiceAccountTokenError") {
      const status = numberOf((e.cause as ErrorLike | undefined)?.status);
      facts.tokenRequest = status !== undefined ? { status } : {};
      return facts;
    }
    readOne(e, facts);
    current = e.cause;
  }
  return facts;
}

/** `system:serviceaccount:<ns>:<sa>`: the subject Entra ID matches federated credentials against. */
export function federatedSubject(identity: RequestIdentity): string {
  return `system:serviceaccount:${identity.namespace}:${identity.serviceAccountName}`;
}

/** The message for one identity failure (pure). */
export function identityMessage(facts: IdentityFacts, identity: RequestIdentity): string {
  const sa = `${identity.namespace}/${identity.serviceAccountName}`;
  const client = `client id ${identity.clientId}`;
  const subject = federatedSubject(identity);
  if (facts.tokenRequest) {
    const status = facts.tokenRequest.status;
    if (status === 404)
      return `ServiceAccount ${sa} does not exist (spec.serviceAccountName); create it or name an existing one (it is exchanged for ${client})`;
    if (status === 403)
      return `the runtime may not request a token for ServiceAccount ${sa} (HTTP 403); grant it create on serviceaccounts/token for that ServiceAccount (the SyncRuntime component does so for the ServiceAccounts it serves)`;
    return `no token could be requested for ServiceAccount ${sa}${status ? ` (HTTP ${status})` : " (the apiserver did not answer)"}`;
  }
  if (facts.challengeTenant)
    return `tenantID ${identity.tenantId} of the SecretProviderClass is not the vault's tenant: its authentication challenge names tenant ${facts.challengeTenant}; set tenantID to it (${client}, subject ${subject})`;
  const code = facts.aadsts !== undefined ? `AADSTS${facts.aadsts}` : undefined;
  const refused = `the identity exchange was refused (${code ?? `HTTP ${facts.status ?? "?"}`})`;
  switch (facts.aadsts) {
    case EntraError.unknownClient:
      return `${refused}: ${client} is not an application in tenant ${identity.tenantId}; check clientID of the SecretProviderClass (subject ${subject})`;
    case EntraError.noFederatedCredential:
      return `${refused}: ${client} has no federated credential for subject ${subject}; add one with this cluster's OIDC issuer and audience ${TOKEN_EXCHANGE_AUDIENCE}`;
    case EntraError.issuerMismatch:
      return `${refused}: no federated credential of ${client} trusts this cluster's ServiceAccount issuer (subject ${subject}); its issuer must be the cluster's OIDC issuer URL`;
    case EntraError.audienceMismatch:
      return `${refused}: no federated credential of ${client} for subject ${subject} accepts the audience ${TOKEN_EXCHANGE_AUDIENCE}`;
    case EntraError.tenantNotFound:
    case EntraError.tenantInvalid:
      return `${refused}: tenant ${identity.tenantId} was not found; check tenantID of the SecretProviderClass (${client}, subject ${subject})`;
    case EntraError.assertionExpired:
      return `${refused}: the ServiceAccount token of ${subject} was not valid at the time (clock skew?) for ${client}`;
    case EntraError.assertionSignature:
      return `${refused}: Entra ID could not verify the ServiceAccount token of ${subject} against this cluster's published signing keys (${client})`;
    default:
      if (facts.endpointsUnresolved)
        return `the identity endpoint could not be used for tenant ${identity.tenantId} (unreachable, or it does not know the tenant) as ${client}, subject ${subject}`;
      return `${refused} for ${client}, subject ${subject}, tenant ${identity.tenantId}`;
  }
}

/**
 * The {@link ProviderErrorInfo} of a failed token exchange or ServiceAccount token, or undefined when `error` is
 * not one. Unavailable (retried) when the endpoint answered 5xx or could not be reached; AccessDenied otherwise.
 */
export function mapIdentityError(
  error: unknown,
  subject: MessageSubject & { identity?: RequestIdentity },
  isIdentityError: boolean,
): ProviderErrorInfo | undefined {
  const facts = identityFacts(error);
  if (!facts.tokenRequest && !isIdentityError) return undefined;
  const identity = subject.identity;
  const what = describeSubject(subject);
  // Only the identity endpoint's own outages are retried as Unavailable; a failed TokenRequest is the cluster's
  // (it must not count against the vault's circuit breaker).
  const transient =
    !facts.tokenRequest &&
    ((facts.status !== undefined && facts.status >= 500) ||
      (facts.endpointsUnresolved === true && facts.aadsts === undefined));
  const kind = transient ? ProviderErrorKind.unavailable : ProviderErrorKind.accessDenied;
  const httpStatus = facts.tokenRequest ? facts.tokenRequest.status : facts.status;
  const message = identity
    ? `${identityMessage(facts, identity)} (reading ${what})`
    : `the workload identity could not obtain a Key Vault token for ${what}${facts.aadsts !== undefined ? ` (AADSTS${facts.aadsts})` : ""}`;
  return {
    kind,
    message,
    httpStatus,
    code: facts.aadsts !== undefined ? `AADSTS${facts.aadsts}` : undefined,
  };
}
