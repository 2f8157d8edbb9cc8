/**
 * A small bounded LRU map (Map insertion order = recency). Bounded by entry count and, optionally, by a
 * caller-supplied size per entry, so caches of credentials, clients and values cannot grow without limit.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, { value: V; size: number }>();
  private totalSize = 0;
  private readonly maxEntries: number;
  private readonly maxSize: number;
  private readonly sizeOf: (value: V) => number;

  /**
   * @param maxEntries most entries kept.
   * @param maxSize most total size kept (default: unbounded), measured by `sizeOf` (default 1 per entry).
   */
  constructor(
    maxEntries: number,
    maxSize = Number.POSITIVE_INFINITY,
    sizeOf: (value: V) => number = () => 1,
  ) {
    if (!(maxEntries >= 1)) throw new Error("cache size must be >= 1");
    this.maxEntries = maxEntries;
    this.maxSize = maxSize;
    this.sizeOf = sizeOf;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Total measured size of the entries. */
  get bytes(): number {
    return this.totalSize;
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Reads without changing recency. */
  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const size = this.sizeOf(value);
    if (size > this.maxSize) return; // never cache something larger than the whole cache
    this.entries.set(key, { value, size });
    this.totalSize += size;
    while (this.entries.size > this.maxEntries || this.totalSize > this.maxSize) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.totalSize -= entry.size;
    this.entries.delete(key);
  }

  /** Keys, oldest first. */
  *keys(): IterableIterator<K> {
    yield* this.entries.keys();
  }

  /** Entries, oldest first. */
  *values(): IterableIterator<V> {
    for (const entry of this.entries.values()) yield entry.value;
  }
}
