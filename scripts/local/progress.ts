/**
 * Progress output for long set-up steps: every line carries the elapsed time, and a step that runs long prints a
 * heartbeat so a cold build never looks hung. Output goes to stderr so commands can keep stdout for data.
 */
export class Progress {
  readonly #label: string;
  readonly #startedAt = performance.now();

  constructor(label: string) {
    this.#label = label;
  }

  /** Seconds since this progress reporter was created. */
  elapsedSeconds(): number {
    return (performance.now() - this.#startedAt) / 1000;
  }

  /** Prints one line with the elapsed time. */
  log(message: string): void {
    process.stderr.write(`[${this.#label} +${this.elapsedSeconds().toFixed(1)}s] ${message}\n`);
  }

  /**
   * Runs `work` as the named step, printing its start, a heartbeat every `heartbeatSeconds`, and its end; a
   * failure is rethrown with the step's name and how to retry.
   */
  async step<T>(
    name: string,
    work: () => Promise<T>,
    options: { heartbeatSeconds?: number; retryHint?: string } = {},
  ): Promise<T> {
    const stepStart = performance.now();
    this.log(`${name} ...`);
    const heartbeat = setInterval(
      () => this.log(`${name}: still running (${((performance.now() - stepStart) / 1000).toFixed(0)}s)`),
      (options.heartbeatSeconds ?? 15) * 1000,
    );
    try {
      const result = await work();
      this.log(`${name}: done in ${((performance.now() - stepStart) / 1000).toFixed(1)}s`);
      return result;
    } catch (cause) {
      const hint = options.retryHint ? ` — ${options.retryHint}` : "";
      throw new Error(`step "${name}" failed${hint}`, { cause });
    } finally {
      clearInterval(heartbeat);
    }
  }
}
