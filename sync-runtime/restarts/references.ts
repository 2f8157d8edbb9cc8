/**
 * Pure: which Secrets and SecretProviderClasses a pod template references, and which of them a workload's
 * reload annotations make it watch.
 */
import { ReloaderAnnotation, RestartEventReason, TriggerReason } from "./constants.ts";

/** The slice of a pod template the controller reads (core/v1 PodTemplateSpec, loosely typed). */
export interface PodTemplateLike {
  metadata?: { annotations?: Record<string, string> };
  spec?: {
    containers?: ContainerLike[];
    initContainers?: ContainerLike[];
    ephemeralContainers?: ContainerLike[];
    volumes?: Array<{
      secret?: { secretName?: string };
      projected?: { sources?: Array<{ secret?: { name?: string } }> };
      csi?: { driver?: string; volumeAttributes?: Record<string, string> };
    }>;
  };
}

interface ContainerLike {
  env?: Array<{ valueFrom?: { secretKeyRef?: { name?: string } } }>;
  envFrom?: Array<{ secretRef?: { name?: string } }>;
}

/** What a pod template references. */
export interface TemplateReferences {
  secrets: Set<string>;
  secretProviderClasses: Set<string>;
}

function addContainerSecrets(container: ContainerLike, secrets: Set<string>): void {
  for (const env of container.env ?? []) {
    const name = env.valueFrom?.secretKeyRef?.name;
    if (name) secrets.add(name);
  }
  for (const from of container.envFrom ?? []) {
    if (from.secretRef?.name) secrets.add(from.secretRef.name);
  }
}

type VolumeLike = NonNullable<NonNullable<PodTemplateLike["spec"]>["volumes"]>[number];

function addVolumeReferences(volume: VolumeLike, refs: TemplateReferences): void {
  if (volume.secret?.secretName) refs.secrets.add(volume.secret.secretName);
  for (const source of volume.projected?.sources ?? []) {
    if (source.secret?.name) refs.secrets.add(source.secret.name);
  }
  const spc = volume.csi?.volumeAttributes?.secretProviderClass;
  if (volume.csi?.driver === "secrets-store.csi.k8s.io" && spc) refs.secretProviderClasses.add(spc);
}

/** Secrets (env secretKeyRef, envFrom, secret volumes, projected volumes) and CSI SecretProviderClasses used. */
export function templateReferences(template: PodTemplateLike | undefined): TemplateReferences {
  const refs: TemplateReferences = { secrets: new Set<string>(), secretProviderClasses: new Set<string>() };
  const spec = template?.spec;
  for (const container of [
    ...(spec?.containers ?? []),
    ...(spec?.initContainers ?? []),
    ...(spec?.ephemeralContainers ?? []),
  ]) {
    addContainerSecrets(container, refs.secrets);
  }
  for (const volume of spec?.volumes ?? []) addVolumeReferences(volume, refs);
  return refs;
}

/** A problem with a reload annotation's value. */
export interface AnnotationProblem {
  annotation: string;
  value: string;
  /** The Warning's reason: a malformed value, or a named Secret that does not exist. */
  reason: typeof RestartEventReason.invalidAnnotation | typeof RestartEventReason.secretNotFound;
  message: string;
}

/** What a workload watches, with the reason for each source. */
export interface WatchList {
  /** Secret name → reasons it is watched for (a `search` entry still needs the Secret's match annotation). */
  secrets: Map<string, TriggerReason[]>;
  /** SecretProviderClass name → reasons. */
  secretProviderClasses: Map<string, TriggerReason[]>;
  /** Names given explicitly in reload annotations (to report those that do not exist). */
  namedSecrets: string[];
  problems: AnnotationProblem[];
}

const isTrue = (value: string | undefined) => value?.trim().toLowerCase() === "true";

/** Reads one annotation from workload metadata, else from the pod template (Reloader accepts both). */
function annotation(
  metadataAnnotations: Record<string, string> | undefined,
  template: PodTemplateLike | undefined,
  key: string,
): string | undefined {
  return metadataAnnotations?.[key] ?? template?.metadata?.annotations?.[key];
}

/** Splits a comma-separated list of names; names with a "/" (another namespace) are reported, not used. */
export function parseNameList(
  annotationKey: string,
  value: string,
): { names: string[]; problems: AnnotationProblem[] } {
  const names: string[] = [];
  const problems: AnnotationProblem[] = [];
  for (const raw of value.split(",")) {
    const name = raw.trim();
    if (name === "") continue;
    if (name.includes("/")) {
      problems.push({
        annotation: annotationKey,
        value: name,
        reason: RestartEventReason.invalidAnnotation,
        message: `${annotationKey} names "${name}": only names in the workload's own namespace can be watched (no "namespace/")`,
      });
    } else if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
      problems.push({
        annotation: annotationKey,
        value: name,
        reason: RestartEventReason.invalidAnnotation,
        message: `${annotationKey} names "${name}", which is not a valid object name`,
      });
    } else {
      names.push(name);
    }
  }
  return { names, problems };
}

function add(map: Map<string, TriggerReason[]>, name: string, reason: TriggerReason): void {
  const reasons = map.get(name) ?? [];
  if (!reasons.includes(reason)) reasons.push(reason);
  map.set(name, reasons);
}

/** What a workload (its metadata annotations and pod template) watches. */
export function watchList(
  metadataAnnotations: Record<string, string> | undefined,
  template: PodTemplateLike | undefined,
): WatchList {
  const refs = templateReferences(template);
  const get = (key: string) => annotation(metadataAnnotations, template, key);
  const secrets = new Map<string, TriggerReason[]>();
  const secretProviderClasses = new Map<string, TriggerReason[]>();
  const problems: AnnotationProblem[] = [];
  const auto = isTrue(get(ReloaderAnnotation.auto));
  if (auto || isTrue(get(ReloaderAnnotation.secretAuto)))
    for (const name of refs.secrets) add(secrets, name, TriggerReason.auto);
  if (auto)
    for (const name of refs.secretProviderClasses) add(secretProviderClasses, name, TriggerReason.auto);
  if (isTrue(get(ReloaderAnnotation.search)))
    for (const name of refs.secrets) add(secrets, name, TriggerReason.search);
  const named = parseNameList(ReloaderAnnotation.secretReload, get(ReloaderAnnotation.secretReload) ?? "");
  for (const name of named.names) add(secrets, name, TriggerReason.named);
  const spcs = parseNameList(ReloaderAnnotation.spcReload, get(ReloaderAnnotation.spcReload) ?? "");
  for (const name of spcs.names) add(secretProviderClasses, name, TriggerReason.secretProviderClass);
  problems.push(...named.problems, ...spcs.problems);
  return { secrets, secretProviderClasses, namedSecrets: named.names, problems };
}
