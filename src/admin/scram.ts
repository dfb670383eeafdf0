/**
 * SCRAM credentials of users (KIP-554; librdkafka ≥ 2.2.0): describe, create or
 * change (upsert), and delete.
 *
 * An upsert sends no password: librdkafka salts and hashes it (PBKDF2 with the
 * mechanism's HMAC, so it needs OpenSSL, which every build we load has) and sends the
 * salted password. Without a salt from the caller librdkafka makes 64 random bytes.
 * Our copy of the password is zeroed as soon as librdkafka copied it.
 *
 * The broker answers once per user, not once per alteration (two mechanisms of one
 * user share one result), in no particular order; results are matched by user name
 * and returned in input order of first mention.
 *
 * @module
 */
import { ADMIN_EVENT, type Ptr, SCRAM_MECHANISMS } from "../../ffi/mod.ts";
import { ErrorCode, KafkaError } from "../errors.ts";
import type { AdminCore } from "./core.ts";
import {
  type AdminCallOptions,
  checkArray,
  checkInt,
  checkObject,
  checkString,
  cstrArray,
  enumIndex,
  errorOf,
  label,
  list,
  needs,
  pointerArray,
  str,
  timeout,
} from "./read.ts";
import { backend, cstr, offHeap, rd } from "../native/lib.ts";

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
  /** Sorted by mechanism. */
  credentials: ScramCredentialInfo[];
}

/**
 * A change of one user's credential. Kafka takes one alteration per user and request
 * (two mechanisms of one user in one call come back as that user's
 * `DUPLICATE_RESOURCE`): make one call per change of the same user.
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
    /** A string is sent as its UTF-8 bytes. */
    password: string | Uint8Array;
    /** Default 8 192 (Kafka accepts 4 096 to 16 384 and answers `UNACCEPTABLE_CREDENTIAL` otherwise). */
    iterations?: number;
    /** Default: 64 random bytes librdkafka makes. */
    salt?: Uint8Array;
  }
  | { type: "delete"; user: string; mechanism: ScramMechanism };

/** The outcome for one user of {@link AdminClient.alterUserScramCredentials}. @example `if (r.error) console.error(r.user, r.error.name)` */
export interface AlterScramResult {
  user: string;
  error?: KafkaError;
}

const MECHANISMS = SCRAM_MECHANISMS.slice(1);
const DEFAULT_ITERATIONS = 8192;

function unique(users: readonly string[], what: string): void {
  const seen = new Set<string>();
  users.forEach((u, i) => {
    if (seen.has(u)) throw new TypeError(`${what}[${i}] names ${JSON.stringify(u)} a second time`);
    seen.add(u);
  });
}

/**
 * librdkafka (2.2.0 to 2.12 at least) copies a user's error text from the response
 * buffer as if it were NUL-terminated, so it runs on into the next bytes up to a
 * zero: after a described user's message that is one control byte (the count of
 * credentials); after an altered user's, the empty tag section ends it at once.
 */
function untail(e: KafkaError): KafkaError {
  // deno-lint-ignore no-control-regex
  const text = e.message.replace(/[\u0000-\u001f\u007f]+$/, "");
  return text === e.message ? e : new KafkaError(e.code, text, { fatal: e.fatal, retriable: e.retriable });
}

/** A user the answer has no result for: never a silent success. */
function missing(user: string): KafkaError {
  return new KafkaError(ErrorCode._BAD_MSG, `user ${user}: the answer has no result for it`);
}

function readDescription(d: Ptr): UserScramCredentials {
  const c = rd();
  const user = str(c.rd_kafka_UserScramCredentialsDescription_user(d)) ?? "";
  const out: UserScramCredentials = { user, credentials: [] };
  const error = errorOf(c.rd_kafka_UserScramCredentialsDescription_error(d), `user ${user}`);
  if (error) out.error = untail(error);
  const n = Number(c.rd_kafka_UserScramCredentialsDescription_scramcredentialinfo_count(d));
  for (let i = 0; i < n; i++) {
    const info: Ptr = c.rd_kafka_UserScramCredentialsDescription_scramcredentialinfo(d, BigInt(i));
    const m: number = c.rd_kafka_ScramCredentialInfo_mechanism(info);
    out.credentials.push({
      mechanism: (SCRAM_MECHANISMS[m] ?? `UNKNOWN(${m})`) as ScramMechanism,
      iterations: c.rd_kafka_ScramCredentialInfo_iterations(info),
    });
  }
  out.credentials.sort((a, b) => (a.mechanism < b.mechanism ? -1 : a.mechanism > b.mechanism ? 1 : 0));
  return out;
}

/** `describeUserScramCredentials()`: see {@link AdminClient.describeUserScramCredentials}. @example `await describeUserScramCredentials(core, ["alice"], {})` */
export function describeUserScramCredentials(
  core: AdminCore,
  users: readonly string[] | undefined,
  options: AdminCallOptions = {},
): Promise<UserScramCredentials[]> {
  try {
    const ms = timeout(options, "describeUserScramCredentials");
    // Kafka's (and librdkafka's) meaning of no users: every user.
    const order = users === undefined
      ? []
      : checkArray<unknown>(users, "describeUserScramCredentials(users)", true).map((u, i) =>
        checkString(u, `describeUserScramCredentials: users[${i}]`)
      );
    unique(order, "describeUserScramCredentials: users");
    needs(
      "describeUserScramCredentials",
      "rd_kafka_DescribeUserScramCredentials",
      "rd_kafka_event_DescribeUserScramCredentials_result",
      "rd_kafka_DescribeUserScramCredentials_result_descriptions",
    );
    const c = rd();
    const names = cstrArray(order);
    return core.request({
      what: `describeUserScramCredentials(${order.length ? label(order) : "all users"})`,
      event: ADMIN_EVENT.DESCRIBEUSERSCRAMCREDENTIALS,
      timeoutMs: ms,
      send: (opts, q) => {
        c.rd_kafka_DescribeUserScramCredentials(core.rk, names.array, BigInt(order.length), opts, q);
        void names.keep.length;
      },
      parse: (ev) => {
        const all = list(
          c.rd_kafka_DescribeUserScramCredentials_result_descriptions,
          c.rd_kafka_event_DescribeUserScramCredentials_result(ev),
        ).map(readDescription);
        if (order.length === 0) return all.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
        const byUser = new Map(all.map((d) => [d.user, d]));
        return order.map((u) => byUser.get(u) ?? { user: u, error: missing(u), credentials: [] });
      },
    });
  } catch (e) {
    return Promise.reject(e);
  }
}

interface Alteration {
  upsert: boolean;
  user: string;
  mechanism: number;
  password?: Uint8Array;
  /** The password bytes are our own UTF-8 copy of a string (zeroed after use). */
  ownPassword?: boolean;
  iterations?: number;
  salt?: Uint8Array;
}

function checkAlteration(a: unknown, at: string): Alteration {
  const o = checkObject(a, at);
  const upsert = enumIndex(o.type, ["upsert", "delete"], `${at}.type`) === 0;
  const user = checkString(o.user, `${at}.user`);
  const mechanism = SCRAM_MECHANISMS.indexOf(MECHANISMS[enumIndex(o.mechanism, MECHANISMS, `${at}.mechanism`)]);
  if (!upsert) {
    for (const k of ["password", "iterations", "salt"]) {
      if (o[k] !== undefined) throw new TypeError(`${at}: a delete takes no ${k}`);
    }
    return { upsert, user, mechanism };
  }
  let password: Uint8Array;
  if (typeof o.password === "string") password = cstr(o.password).subarray(0, -1);
  else if (o.password instanceof Uint8Array) password = o.password;
  else throw new TypeError(`${at}.password must be a string or a Uint8Array`);
  if (password.length === 0) throw new TypeError(`${at}.password must not be empty`);
  const iterations = o.iterations === undefined ? DEFAULT_ITERATIONS : checkInt(o.iterations, `${at}.iterations`, 1);
  if (o.salt !== undefined && (!(o.salt instanceof Uint8Array) || o.salt.length === 0)) {
    throw new TypeError(`${at}.salt must be a non-empty Uint8Array`);
  }
  const ownPassword = typeof o.password === "string";
  return { upsert, user, mechanism, password, ownPassword, iterations, salt: o.salt as Uint8Array | undefined };
}

/** `alterUserScramCredentials()`: see {@link AdminClient.alterUserScramCredentials}. @example `await alterUserScramCredentials(core, [a], {})` */
export function alterUserScramCredentials(
  core: AdminCore,
  alterations: readonly ScramCredentialAlteration[],
  options: AdminCallOptions = {},
): Promise<AlterScramResult[]> {
  const c = rd();
  const made: Ptr[] = [];
  const secrets: Uint8Array[] = [];
  let specs: Alteration[] = [];
  try {
    const ms = timeout(options, "alterUserScramCredentials");
    specs = checkArray<unknown>(alterations, "alterUserScramCredentials(alterations)").map((a, i) =>
      checkAlteration(a, `alterUserScramCredentials: alterations[${i}]`)
    );
    needs(
      "alterUserScramCredentials",
      "rd_kafka_AlterUserScramCredentials",
      "rd_kafka_UserScramCredentialUpsertion_new",
      "rd_kafka_UserScramCredentialDeletion_new",
      "rd_kafka_event_AlterUserScramCredentials_result",
      "rd_kafka_AlterUserScramCredentials_result_responses",
    );
    for (const s of specs) {
      if (!s.upsert) {
        made.push(c.rd_kafka_UserScramCredentialDeletion_new(cstr(s.user), s.mechanism));
        continue;
      }
      const password = offHeap(s.password!.length);
      password.set(s.password!);
      secrets.push(password);
      let salt: Uint8Array | undefined;
      if (s.salt) {
        salt = offHeap(s.salt.length);
        salt.set(s.salt);
      }
      made.push(c.rd_kafka_UserScramCredentialUpsertion_new(
        cstr(s.user),
        s.mechanism,
        s.iterations!,
        password,
        BigInt(password.length),
        salt ? backend.ptrOf(salt) : backend.NULL,
        BigInt(salt?.length ?? 0),
      ));
      password.fill(0); // librdkafka holds its own copy now
    }
    const order = [...new Set(specs.map((s) => s.user))];
    return core.request({
      what: `alterUserScramCredentials(${label(order)})`,
      event: ADMIN_EVENT.ALTERUSERSCRAMCREDENTIALS,
      timeoutMs: ms,
      send: (opts, q) =>
        c.rd_kafka_AlterUserScramCredentials(core.rk, pointerArray(made), BigInt(made.length), opts, q),
      parse: (ev) => {
        const byUser = new Map<string, AlterScramResult>();
        for (
          const r of list(
            c.rd_kafka_AlterUserScramCredentials_result_responses,
            c.rd_kafka_event_AlterUserScramCredentials_result(ev),
          )
        ) {
          const user = str(c.rd_kafka_AlterUserScramCredentials_result_response_user(r)) ?? "";
          const error = errorOf(c.rd_kafka_AlterUserScramCredentials_result_response_error(r), `user ${user}`);
          byUser.set(user, error ? { user, error: untail(error) } : { user });
        }
        return order.map((u) => byUser.get(u) ?? { user: u, error: missing(u) });
      },
    });
  } catch (e) {
    return Promise.reject(e);
  } finally {
    for (const s of secrets) s.fill(0);
    for (const s of specs) if (s.ownPassword) s.password!.fill(0);
    for (const a of made) c.rd_kafka_UserScramCredentialAlteration_destroy(a);
  }
}
