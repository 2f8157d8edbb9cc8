/**
 * The runtime's one logger: pino, one JSON object per line (or a line for people, `--log-format text`), with
 * redaction of every field that could hold a value or a token. Callers log names, versions, reasons and codes
 * only; redaction is the second line of defence. Child loggers add `controller`, never a second `component`,
 * so every line has unique keys (duplicate keys break many log pipelines).
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import type { DestinationStream, Logger } from "pino";
import { COMPONENT } from "./constants.ts";

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

/** Output formats of `--log-format`. */
export const LOG_FORMATS = ["json", "text"] as const;
/** One of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level. Default "info". */
  level?: string;
  /** `json` (one object per line, for log pipelines) or `text` (for `kubectl logs` read by a person). Default json. */
  format?: LogFormat;
  /** Destination. Default stdout. */
  destination?: DestinationStream;
  /** Fields on every line. Default { component: "keyfleet-sync-runtime" }. */
  base?: Record<string, unknown>;
}

/** Creates the runtime logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination =
    options.format === "text" ? textDestination(options.destination ?? process.stdout) : options.destination;
  return pino(
    {
      level: options.level ?? "info",
      base: options.base ?? { component: COMPONENT },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** Keys rendered in the head of a text line, not as `key=value`. */
const HEAD_KEYS = new Set(["time", "level", "msg", "component"]);

function textValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (Array.isArray(value) && value.every((v) => typeof v === "string" || typeof v === "number"))
    return value.join(",");
  return JSON.stringify(value);
}

/**
 * One JSON log line as a line for people (pure): `<time> <LEVEL> <msg> key=value ...`, nested objects as JSON.
 * A line that is not JSON passes through unchanged.
 */
export function formatLogLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = String(record.level ?? "").toUpperCase();
  const fields = Object.entries(record)
    .filter(([key]) => !HEAD_KEYS.has(key))
    .map(([key, value]) => `${key}=${textValue(value)}`);
  return [String(record.time ?? ""), level.padEnd(5), String(record.msg ?? ""), ...fields]
    .join(" ")
    .trimEnd();
}

/** A destination that writes {@link formatLogLine} of each line pino writes. */
export function textDestination(out: { write(chunk: string): unknown }): DestinationStream {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk
        .toString("utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => `${formatLogLine(line)}\n`)
        .join("");
      out.write(text);
      done();
    },
  }) as unknown as DestinationStream;
}

/** A value-free description of an error for logs: name, message, status, and the cause chain's codes. */
export function describeError(error: unknown): {
  name: string;
  message: string;
  status?: number;
  codes?: string[];
} {
  if (error instanceof Error) {
    const status = (error as { status?: unknown }).status;
    const codes = causeCodes(error.cause);
    return {
      name: error.name,
      message: error.message.slice(0, 500),
      status: typeof status === "number" ? status : undefined,
      codes: codes.length ? codes : undefined,
    };
  }
  return { name: "unknown", message: String(error).slice(0, 200) };
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/**
 * The identifier-like facts along an error's cause chain (pure, bounded): error names, string `code`s,
 * HTTP statuses, Kubernetes Status reasons, Entra error numbers. Never a message (it could echo input).
 */
export function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const e = current as Record<string, unknown>;
    for (const key of ["name", "code", "statusReason", "errorCode"]) {
      const value = e[key];
      if (typeof value === "string" && IDENTIFIER.test(value) && value !== "Error") codes.push(value);
    }
    for (const key of ["status", "statusCode"]) {
      const value = e[key];
      if (typeof value === "number") codes.push(`HTTP ${value}`);
    }
    if (typeof e.errorNo === "number" || (typeof e.errorNo === "string" && /^\d+$/.test(e.errorNo)))
      codes.push(`AADSTS${String(e.errorNo)}`);
    current = e.cause;
  }
  return [...new Set(codes)];
}
