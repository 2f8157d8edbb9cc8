/**
 * Durable state of the local Azure stand-in (test infrastructure), kept in its state folder so that a restart — or
 * a crash — keeps what Key Vault and Entra ID keep: every vault's objects with all their versions (live and
 * soft-deleted) and certificate operations, the vaults and their ports, app identities with their federated
 * credentials, role assignments, and the token-signing key (tokens issued before a restart stay valid).
 *
 * Files in `<stateDir>`:
 * - `state.json`: everything as of the last start (written to a temp file, then renamed over);
 * - `journal.jsonl`: one JSON line per change since, appended synchronously before the request is answered, so a
 *   SIGKILL loses nothing that was acknowledged (a torn last line is ignored);
 * - `signing-key.json`: the current token-signing key (mode 0600);
 * - `management-key`: the management API key (mode 0600, main.ts), kept so clients work across restarts.
 *
 * Each start folds the journal into a new `state.json` (also when the journal outgrows
 * {@link JOURNAL_COMPACT_BYTES}). {@link clearAzureLocalState} is the explicit reset.
 */
import {
  appendFileSync,
  existsSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import type { Registry, RegistrySnapshot } from "./registry.ts";
import type { SigningKey } from "./token-issuer.ts";
import { COLLECTION_NAMES } from "./vault-state.ts";
import type { CollectionName, VaultChange, VaultState } from "./vault-state.ts";
import type { StoreEntry } from "./vault-store.ts";

/** Files the stand-in keeps in its state folder. */
export const STATE_FILES = {
  snapshot: "state.json",
  journal: "journal.jsonl",
  signingKey: "signing-key.json",
  managementKey: "management-key",
} as const;

/** The journal is folded into the snapshot when it grows beyond this (and at every start). */
export const JOURNAL_COMPACT_BYTES = 16 * 1024 * 1024;

type Entry = StoreEntry<unknown>;

/** One vault in the snapshot. */
export interface PersistedVault {
  name: string;
  /** The port it listened on (reused on restart when the config asks for any free port). */
  port?: number;
  objects: Record<CollectionName, Record<string, Entry>>;
  certificateOperations: Record<string, Record<string, unknown>>;
}

/** `state.json`. */
export interface PersistedState {
  format: 1;
  /** The identity endpoint's port (reused like the vaults'). */
  identityPort?: number;
  vaults: PersistedVault[];
  registry: RegistrySnapshot;
}

/** One line of `journal.jsonl`. */
export type JournalRecord =
  | { t: "object"; vault: string; collection: CollectionName; name: string; entry: Entry }
  | { t: "certificateOperation"; vault: string; name: string; op?: Record<string, unknown> }
  | { t: "vault"; name: string; port: number }
  | { t: "identityPort"; port: number }
  | { t: "registry"; registry: RegistrySnapshot };

const emptyVault = (name: string): PersistedVault => ({
  name,
  objects: { secrets: {}, keys: {}, certificates: {} },
  certificateOperations: {},
});

/** Pure: applies one journal record to a state (in place). */
export function applyRecord(state: PersistedState, record: JournalRecord): void {
  const vaultOf = (name: string): PersistedVault => {
    let vault = state.vaults.find((v) => v.name.toLowerCase() === name.toLowerCase());
    if (!vault) {
      vault = emptyVault(name);
      state.vaults.push(vault);
    }
    return vault;
  };
  switch (record.t) {
    case "object": {
      const objects = vaultOf(record.vault).objects[record.collection];
      if (record.entry.live || record.entry.deleted) objects[record.name] = record.entry;
      else delete objects[record.name];
      return;
    }
    case "certificateOperation": {
      const operations = vaultOf(record.vault).certificateOperations;
      if (record.op) operations[record.name] = record.op;
      else delete operations[record.name];
      return;
    }
    case "vault":
      vaultOf(record.name).port = record.port;
      return;
    case "identityPort":
      state.identityPort = record.port;
      return;
    case "registry":
      state.registry = record.registry;
      return;
  }
}

/** Pure: the state a snapshot text and a journal text describe (a torn or unreadable line ends the journal). */
export function replay(snapshotText: string | undefined, journalText: string | undefined): PersistedState {
  const state: PersistedState = snapshotText
    ? (JSON.parse(snapshotText) as PersistedState)
    : { format: 1, vaults: [], registry: { identities: [], assignments: [] } };
  for (const line of (journalText ?? "").split("\n")) {
    if (!line) continue;
    let record: JournalRecord;
    try {
      record = JSON.parse(line) as JournalRecord;
    } catch {
      break; // the process died while writing this line: nothing after it was acknowledged
    }
    applyRecord(state, record);
  }
  return state;
}

function readIfExists(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

function writeAtomically(file: string, text: string, mode = 0o600): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, text, { mode });
  renameSync(temp, file);
}

/** Removes everything the stand-in persisted in `stateDir` (the explicit reset; run it while it is stopped). */
export function clearAzureLocalState(stateDir: string): void {
  for (const file of Object.values(STATE_FILES)) {
    rmSync(path.join(stateDir, file), { force: true });
    rmSync(path.join(stateDir, `${file}.tmp`), { force: true });
  }
}

/** See module doc. One per running instance. */
export class AzureLocalPersistence {
  /** What the state folder held at start. */
  readonly loaded: PersistedState;
  private readonly dir: string;
  private readonly vaults = new Map<string, { state: VaultState; port: number }>();
  private registry: Registry | undefined;
  private identityPort: number | undefined;
  private journalBytes = 0;

  constructor(stateDir: string) {
    this.dir = stateDir;
    this.loaded = replay(readIfExists(this.file("snapshot")), readIfExists(this.file("journal")));
    this.identityPort = this.loaded.identityPort;
  }

  private file(which: keyof typeof STATE_FILES): string {
    return path.join(this.dir, STATE_FILES[which]);
  }

  /** The persisted vault of that name, if any. */
  persistedVault(name: string): PersistedVault | undefined {
    return this.loaded.vaults.find((v) => v.name.toLowerCase() === name.toLowerCase());
  }

  /** The signing key kept in the folder, or `create()`'s (then kept). */
  signingKey(create: () => SigningKey): SigningKey {
    const text = readIfExists(this.file("signingKey"));
    if (text) return JSON.parse(text) as SigningKey;
    const key = create();
    this.saveSigningKey(key);
    return key;
  }

  /** Keeps a (rotated) signing key. */
  saveSigningKey(key: SigningKey): void {
    writeAtomically(this.file("signingKey"), JSON.stringify(key));
  }

  /** Loads the registry's persisted state, then keeps every change. */
  attachRegistry(registry: Registry): void {
    registry.load(this.loaded.registry);
    this.registry = registry;
    registry.onChange = () => this.append({ t: "registry", registry: registry.snapshot() });
  }

  /** Loads a vault's persisted contents, then keeps every change; records its port. */
  attachVault(vault: VaultState, port: number): void {
    const persisted = this.persistedVault(vault.name);
    if (persisted) {
      for (const collection of COLLECTION_NAMES) {
        const store = vault.collection(collection);
        for (const [name, entry] of Object.entries(persisted.objects[collection])) {
          store.restore(name, entry as StoreEntry<never>);
        }
      }
      for (const [name, op] of Object.entries(persisted.certificateOperations)) {
        vault.certificateOperations.set(name, op); // not observed yet: restoring is not a change
      }
    }
    this.vaults.set(vault.name.toLowerCase(), { state: vault, port });
    vault.observe((change) => this.append(this.recordOf(vault, change)));
    this.append({ t: "vault", name: vault.name, port });
  }

  /** Records the identity endpoint's port. */
  identityListening(port: number): void {
    this.identityPort = port;
    this.append({ t: "identityPort", port });
  }

  private recordOf(vault: VaultState, change: VaultChange): JournalRecord {
    if (change.kind === "object") {
      return {
        t: "object",
        vault: vault.name,
        collection: change.collection,
        name: change.name,
        entry: vault.collection(change.collection).entry(change.name),
      };
    }
    const op = vault.certificateOperations.get(change.name);
    return { t: "certificateOperation", vault: vault.name, name: change.name, ...(op ? { op } : {}) };
  }

  private append(record: JournalRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    appendFileSync(this.file("journal"), line, { mode: 0o600 });
    this.journalBytes += Buffer.byteLength(line);
    if (this.journalBytes > JOURNAL_COMPACT_BYTES) this.compact();
  }

  /** The state of everything attached, as `state.json` holds it. */
  current(): PersistedState {
    const vaults = [...this.vaults.values()].map(({ state, port }) => {
      const persisted = emptyVault(state.name);
      persisted.port = port;
      for (const collection of COLLECTION_NAMES) {
        const store = state.collection(collection);
        for (const name of store.names()) persisted.objects[collection][name] = store.entry(name);
      }
      persisted.certificateOperations = Object.fromEntries(state.certificateOperations);
      return persisted;
    });
    // Vaults persisted earlier but not served now (e.g. a config that names fewer) are kept, not dropped.
    const others = this.loaded.vaults.filter((v) => !this.vaults.has(v.name.toLowerCase()));
    return {
      format: 1,
      ...(this.identityPort !== undefined ? { identityPort: this.identityPort } : {}),
      vaults: [...vaults, ...others],
      registry: this.registry?.snapshot() ?? this.loaded.registry,
    };
  }

  /** Folds the journal into `state.json` (the snapshot is written first, then the journal emptied). */
  compact(): void {
    writeAtomically(this.file("snapshot"), JSON.stringify(this.current()));
    writeFileSync(this.file("journal"), "", { mode: 0o600 });
    this.journalBytes = 0;
  }

  /** Size of the journal file (tests). */
  journalSize(): number {
    return existsSync(this.file("journal")) ? statSync(this.file("journal")).size : 0;
  }
}
