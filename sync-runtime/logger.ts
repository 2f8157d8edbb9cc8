/**
 * The runtime's one logger: pino JSON lines with redaction of every field that could hold a value or a token.
 * Callers log names and versions only; redaction is the second line of defence.
 */
import { pino } from "pino";
import type { DestinationStream, Logger } from "pino";

/** Paths pino censors wherever they appear (one and two levels deep). */
export const REDACTED_PATHS = [
  "value",
  "data",
  "token",
  "secret",
  "password",
  "authorization",
  "assertion",
  "stringData",
  "*.value",
  "*.data",
  "*.token",
  "*.secret",
  "*.password",
  "*.authorization",
  "*.assertion",
  "*.stringData",
  "*.headers.authorization",
  "*.*.value",
  "*.*.data",
  "*.*.token",
];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level. Default "info". */
  level?: string;
  /** Destination. Default stdout. */
  destination?: DestinationStream;
  /** Fields on every line. Default { component: "keyfleet-sync-runtime" }. */
  base?: Record<string, unknown>;
}

/** Creates the runtime logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: options.base ?? { component: "keyfleet-sync-runtime" },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** A value-free description of an error for logs: name, message, status, and the cause chain's names. */
export function describeError(error: unknown): { name: string; message: string; status?: number } {
  if (error instanceof Error) {
    const status = (error as { status?: unknown }).status;
    return {
      name: error.name,
      message: error.message.slice(0, 500),
      status: typeof status === "number" ? status : undefined,
    };
  }
  return { name: "unknown", message: String(error).slice(0, 200) };
}
