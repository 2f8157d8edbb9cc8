/**
 * Groups observed changes per namespace into batches: the first change opens a window of `windowMs`; every
 * change until it closes joins the batch; then the batch is handed over once. The window is fixed (not sliding)
 * so a steady stream of changes cannot postpone restarts forever.
 */
import type { SourceChange } from "./decide.ts";
import type { Clock } from "../clock.ts";

/** Options of {@link ChangeBatcher}. */
export interface ChangeBatcherOptions {
  /** Window length in ms; 0 hands every change over on the next timer tick. Default: see RESTART_DEFAULTS. */
  windowMs: number;
  clock: Clock;
  /** Receives each closed batch (deduplicated changes, in arrival order). */
  onBatch: (namespace: string, changes: SourceChange[]) => void;
}

interface OpenBatch {
  changes: SourceChange[];
  openedAtMs: number;
  cancel: () => void;
}

/** Per-namespace batching of source changes. */
export class ChangeBatcher {
  private readonly options: ChangeBatcherOptions;
  private readonly open = new Map<string, OpenBatch>();

  constructor(options: ChangeBatcherOptions) {
    this.options = options;
  }

  /** Adds a change; opens the namespace's window when none is open. */
  add(namespace: string, change: SourceChange): void {
    let batch = this.open.get(namespace);
    if (!batch) {
      const cancel = this.options.clock.schedule(this.options.windowMs, () => this.close(namespace));
      batch = { changes: [], openedAtMs: this.options.clock.nowMs(), cancel };
      this.open.set(namespace, batch);
    }
    if (!batch.changes.some((c) => c.source === change.source && c.name === change.name))
      batch.changes.push(change);
  }

  /** Changes waiting in open windows, per namespace (for diagnostics and tests). */
  pending(): Map<string, SourceChange[]> {
    return new Map([...this.open].map(([ns, batch]) => [ns, [...batch.changes]]));
  }

  /** Closes every open window now (used by `flush()` and on stop). */
  closeAll(): void {
    for (const namespace of [...this.open.keys()]) this.close(namespace);
  }

  /** Drops every open window without handing it over. */
  discardAll(): void {
    for (const batch of this.open.values()) batch.cancel();
    this.open.clear();
  }

  private close(namespace: string): void {
    const batch = this.open.get(namespace);
    if (!batch) return;
    batch.cancel();
    this.open.delete(namespace);
    this.options.onBatch(namespace, batch.changes);
  }
}
