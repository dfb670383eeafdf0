/**
 * SCRAM credentials of users (KIP-554; librdkafka ≥ 2.2.0): describe, create or
 * change (upsert), and delete.
 *
 * @module
 */
import type { KafkaError } from "./errors.ts";
import type { AdminCore } from "./admin_core.ts";
import type { AdminCallOptions } from "./admin_read.ts";

/** A SCRAM mechanism Kafka knows. @example `"SCRAM-SHA-512"` */
export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";

/** One credential of a user: its mechanism and iteration count (never the password). @example `{ mechanism: "SCRAM-SHA-256", iterations: 8192 }` */
export interface ScramCredentialInfo {
  mechanism: ScramMechanism;
  iterations: number;
}

/** A user's SCRAM credentials; `error` (e.g. `RESOURCE_NOT_FOUND`) for a user with none. @example `for (const c of u.credentials) console.log(c.mechanism)` */
export interface UserScramCredentials {
  user: string;
  error?: KafkaError;
  credentials: ScramCredentialInfo[];
}

/**
 * A change of one user's credential.
 *
 * @example
 * ```ts
 * const set: ScramCredentialAlteration = { type: "upsert", user: "carol", mechanism: "SCRAM-SHA-256", password: "s3cret" };
 * const drop: ScramCredentialAlteration = { type: "delete", user: "carol", mechanism: "SCRAM-SHA-256" };
 * ```
 */
export type ScramCredentialAlteration =
  | {
    type: "upsert";
    user: string;
    mechanism: ScramMechanism;
    password: string | Uint8Array;
    /** Default 8 192 (Kafka accepts 4 096 to 16 384). */
    iterations?: number;
    /** Default: random bytes librdkafka makes. */
    salt?: Uint8Array;
  }
  | { type: "delete"; user: string; mechanism: ScramMechanism };

/** The outcome for one user of {@link AdminClient.alterUserScramCredentials}. @example `if (r.error) console.error(r.user, r.error.name)` */
export interface AlterScramResult {
  user: string;
  error?: KafkaError;
}

/** `describeUserScramCredentials()`: see {@link AdminClient.describeUserScramCredentials}. @example `await describeUserScramCredentials(core, ["alice"], {})` */
export function describeUserScramCredentials(
  _core: AdminCore,
  _users: readonly string[] | undefined,
  _options: AdminCallOptions = {},
): Promise<UserScramCredentials[]> {
  return Promise.reject(new Error("describeUserScramCredentials: not implemented yet"));
}

/** `alterUserScramCredentials()`: see {@link AdminClient.alterUserScramCredentials}. @example `await alterUserScramCredentials(core, [a], {})` */
export function alterUserScramCredentials(
  _core: AdminCore,
  _alterations: readonly ScramCredentialAlteration[],
  _options: AdminCallOptions = {},
): Promise<AlterScramResult[]> {
  return Promise.reject(new Error("alterUserScramCredentials: not implemented yet"));
}
