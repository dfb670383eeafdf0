/**
 * How the fuzzer names what a call threw: the error classes of the runtime
 * contract, and one line per error for the log. Shared by the world (model.ts)
 * and the ledger, which neither import each other for it.
 *
 * @module
 */
import { ClosedError, ConfigError, KafkaError, LimitError } from "../../src/mod.ts";

/** How an error is classified by the invariants. @example `const allowed: ErrKind[] = ["KafkaError", "ClosedError"]` */
export type ErrKind =
  | "KafkaError"
  | "ClosedError"
  | "LimitError"
  | "ConfigError"
  | "TypeError"
  | "RangeError"
  | "Abort"
  | "Other";

/** The class of a thrown or rejected value, as the contract names them. @example `errKind(new TypeError()) === "TypeError"` */
export function errKind(e: unknown): ErrKind {
  if (e instanceof KafkaError) return "KafkaError";
  if (e instanceof ClosedError) return "ClosedError";
  if (e instanceof LimitError) return "LimitError";
  if (e instanceof ConfigError) return "ConfigError";
  if (e instanceof RangeError) return "RangeError";
  if (e instanceof TypeError) return "TypeError";
  if (e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError" || e.message === "fz-abort")) {
    return "Abort";
  }
  return "Other";
}

/** One line for an error: its class, Kafka name and the start of its message. @example `showErr(e)` */
export function showErr(e: unknown): string {
  const kind = errKind(e);
  if (!(e instanceof Error)) return `${kind}(${String(e)})`;
  const text = e.message.length > 140 ? `${e.message.slice(0, 140)}…` : e.message;
  return kind === "KafkaError" ? `KafkaError ${e.name}: ${text}` : `${kind} ${e.name}: ${text}`;
}
