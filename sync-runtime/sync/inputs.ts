/**
 * The read → validate step of a reconcile: the validated SecretSync and its class, or the failure (reason and
 * field-naming message) that stops the reconcile before anything is fetched.
 */
import { Message, Reason } from "../constants.ts";
import { checkSourcePaths, SPC_REFERENCE_PATH, validateSecretSync } from "./secretsync.ts";
import { formatProblems } from "./spc.ts";
import type { Validated } from "./spc.ts";
import type { SecretProviderClassResource, SecretSyncResource, ValidSecretSync, ValidSpc } from "./types.ts";

/** Where {@link readInputs} finds and validates the class. */
export interface InputSources {
  secretProviderClass(namespace: string, name: string): SecretProviderClassResource | undefined;
  /** Validates a class (the reconciler caches the result per resourceVersion). */
  validClass(resource: SecretProviderClassResource): Validated<ValidSpc>;
  /** Other served namespaces holding a class of this name (diagnostics). */
  classNamespaces(name: string): string[];
}

/** Outcome of {@link readInputs}. */
export type Inputs =
  { ok: true; valid: ValidSecretSync; spc: ValidSpc } | { ok: false; reason: Reason; message: string };

/**
 * Validates a SecretSync and resolves its class. A class that is missing, named across namespaces or invalid is
 * `ControllerSpcError`; anything else wrong with the SecretSync is `UserInputValidationFailed`.
 */
export function readInputs(sync: SecretSyncResource, sources: InputSources): Inputs {
  const { namespace } = sync.metadata;
  const valid = validateSecretSync(sync);
  if (!valid.ok) {
    // A class reference that can never resolve (another namespace, not a name) is the class's problem.
    const spcOnly = valid.problems.every((p) => p.path === SPC_REFERENCE_PATH);
    return {
      ok: false,
      reason: spcOnly ? Reason.controllerSpcError : Reason.userInputValidationFailed,
      message: formatProblems(valid.problems),
    };
  }
  const className = valid.value.secretProviderClassName;
  const spcResource = sources.secretProviderClass(namespace, className);
  if (!spcResource) {
    const elsewhere = sources.classNamespaces(className).filter((ns) => ns !== namespace);
    return {
      ok: false,
      reason: Reason.controllerSpcError,
      message: Message.spcNotFound(className, namespace, elsewhere),
    };
  }
  const spc = sources.validClass(spcResource);
  if (!spc.ok) {
    return {
      ok: false,
      reason: Reason.controllerSpcError,
      message: `SecretProviderClass ${namespace}/${spcResource.metadata.name}: ${formatProblems(spc.problems)}`,
    };
  }
  const pathProblems = checkSourcePaths(valid.value, spc.value);
  if (pathProblems.length)
    return { ok: false, reason: Reason.userInputValidationFailed, message: formatProblems(pathProblems) };
  return { ok: true, valid: valid.value, spc: spc.value };
}
