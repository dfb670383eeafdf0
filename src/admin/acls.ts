/**
 * ACLs: create, describe and delete access-control bindings.
 *
 * A binding names every field; a filter may leave fields out, which librdkafka
 * spells as `ANY` for the enums and NULL for the strings. Both are
 * `rd_kafka_AclBinding_t` objects that the request copies, so they are destroyed as
 * soon as the request is sent. The broker answers creations and deletions one
 * result per input, in input order (librdkafka checks the count), so results are
 * matched by position.
 *
 * Input names are librdkafka's enum names in any case; output uses the same names.
 * Objects with keys we do not know are refused: a misspelt filter field would
 * otherwise match everything, and `deleteAcls` would delete everything.
 *
 * Known gap: librdkafka (2.0.2 to 2.12 at least) reads the error of a DescribeAcls
 * response but never reports it, so a principal the broker refuses (no DESCRIBE on the
 * cluster) gets an empty list, not CLUSTER_AUTHORIZATION_FAILED. There is nothing in
 * the result to tell the two apart. ACL changes, like config changes, reach a KRaft
 * broker's authorizer a moment after the call resolved.
 *
 * @module
 */
import {
  ACL_OPERATIONS,
  ACL_PERMISSIONS,
  ADMIN_EVENT,
  PATTERN_TYPES,
  type Ptr,
  RESOURCE_TYPES,
} from "../../ffi/mod.ts";
import { ErrorCode, KafkaError } from "../errors.ts";
import type { AdminCore } from "./core.ts";
import {
  type AdminCallOptions,
  checkArray,
  checkObject,
  checkString,
  enumIndex,
  errorOf,
  list,
  offHeapCstr,
  pointerArray,
  str,
  timeout,
} from "./read.ts";
import { backend, cbufText, cstr, rd } from "../native/lib.ts";

/**
 * One ACL: who (`principal`, `host`) may or may not (`permission`) do what
 * (`operation`) on which resources (`resourceType`, `resourceName`, `patternType`).
 * Names are librdkafka's (any case on input): resource types `"TOPIC"`, `"GROUP"`,
 * `"BROKER"` (the cluster, named `"kafka-cluster"`), `"TRANSACTIONAL_ID"`; patterns
 * `"LITERAL"`, `"PREFIXED"`; operations `"READ"`, `"WRITE"`, `"DESCRIBE"`, `"ALL"`, …;
 * permissions `"ALLOW"`, `"DENY"`.
 *
 * @example
 * ```ts
 * const acl: AclBinding = {
 *   resourceType: "TOPIC", resourceName: "orders", patternType: "LITERAL",
 *   principal: "User:alice", host: "*", operation: "READ", permission: "ALLOW",
 * };
 * ```
 */
export interface AclBinding {
  resourceType: string;
  resourceName: string;
  /** Default `"LITERAL"` when creating. */
  patternType: string;
  /** `"User:<name>"` (Kafka's principal form). */
  principal: string;
  /** Default `"*"` when creating. */
  host: string;
  operation: string;
  permission: string;
}

/** What to create: {@link AclBinding} with `patternType` and `host` optional. @example `{ resourceType: "TOPIC", resourceName: "t", principal: "User:bob", operation: "WRITE", permission: "DENY" }` */
export type NewAclBinding = Omit<AclBinding, "patternType" | "host"> & { patternType?: string; host?: string };

/**
 * Which ACLs to describe or delete: every field left out (or null) matches anything
 * (`"ANY"`); `patternType: "MATCH"` matches the bindings that apply to a name
 * (literal, prefixed and wildcard ones). An empty filter matches every ACL.
 *
 * @example
 * ```ts
 * const filter: AclBindingFilter = { resourceType: "TOPIC", resourceName: "orders" };
 * ```
 */
export interface AclBindingFilter {
  resourceType?: string;
  resourceName?: string | null;
  patternType?: string;
  principal?: string | null;
  host?: string | null;
  operation?: string;
  permission?: string;
}

/** The outcome for one binding of {@link AdminClient.createAcls}, in input order. @example `if (r.error) console.error(r.error.message)` */
export interface CreateAclResult {
  /** The binding as sent (defaults filled in, names in librdkafka's spelling). */
  binding: AclBinding;
  error?: KafkaError;
}

/** The outcome for one filter of {@link AdminClient.deleteAcls}, in input order. @example `console.log(r.deleted.length)` */
export interface DeleteAclsResult {
  /** The filter as sent: every field present, `"ANY"` or null where it matched anything. */
  filter: AclBindingFilter;
  error?: KafkaError;
  /** The bindings the filter matched and the broker deleted. */
  deleted: AclBinding[];
}

const FIELDS = ["resourceType", "resourceName", "patternType", "principal", "host", "operation", "permission"];

const name = <T extends readonly string[]>(table: T, v: number): string => table[v] ?? `UNKNOWN(${v})`;

/** Refuses keys that are no field of a binding (see the module comment). */
function checkKeys(o: Record<string, unknown>, at: string): void {
  for (const k of Object.keys(o)) {
    if (!FIELDS.includes(k)) throw new TypeError(`${at} has an unknown field "${k}" (fields: ${FIELDS.join(", ")})`);
  }
}

/** One of `allowed` (any case), as its value in librdkafka's `table`. */
function pick(v: unknown, table: readonly string[], allowed: readonly string[], what: string): number {
  return table.indexOf(allowed[enumIndex(v, allowed, what)]);
}

/** An optional string of a filter: undefined and null match anything. */
function optString(v: unknown, what: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw new TypeError(`${what} must be a string or null, got ${typeof v}`);
  return v;
}

interface Spec {
  restype: number;
  name: string | null;
  pattern: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permission: number;
}

function checkBinding(b: unknown, at: string): Spec {
  const o = checkObject(b, at);
  checkKeys(o, at);
  return {
    restype: pick(
      o.resourceType,
      RESOURCE_TYPES,
      ["TOPIC", "GROUP", "BROKER", "TRANSACTIONAL_ID"],
      `${at}.resourceType`,
    ),
    name: checkString(o.resourceName, `${at}.resourceName`),
    pattern: pick(o.patternType ?? "LITERAL", PATTERN_TYPES, ["LITERAL", "PREFIXED"], `${at}.patternType`),
    principal: checkString(o.principal, `${at}.principal`),
    host: checkString(o.host ?? "*", `${at}.host`),
    operation: pick(o.operation, ACL_OPERATIONS, ACL_OPERATIONS.slice(2), `${at}.operation`),
    permission: pick(o.permission, ACL_PERMISSIONS, ["ALLOW", "DENY"], `${at}.permission`),
  };
}

function checkFilter(f: unknown, at: string): Spec {
  const o = checkObject(f, at);
  checkKeys(o, at);
  return {
    restype: pick(o.resourceType ?? "ANY", RESOURCE_TYPES, RESOURCE_TYPES.slice(1), `${at}.resourceType`),
    name: optString(o.resourceName, `${at}.resourceName`),
    pattern: pick(o.patternType ?? "ANY", PATTERN_TYPES, PATTERN_TYPES.slice(1), `${at}.patternType`),
    principal: optString(o.principal, `${at}.principal`),
    host: optString(o.host, `${at}.host`),
    operation: pick(o.operation ?? "ANY", ACL_OPERATIONS, ACL_OPERATIONS.slice(1), `${at}.operation`),
    permission: pick(o.permission ?? "ANY", ACL_PERMISSIONS, ACL_PERMISSIONS.slice(1), `${at}.permission`),
  };
}

function specBinding(s: Spec): AclBinding {
  return {
    resourceType: name(RESOURCE_TYPES, s.restype),
    resourceName: s.name ?? "",
    patternType: name(PATTERN_TYPES, s.pattern),
    principal: s.principal ?? "",
    host: s.host ?? "",
    operation: name(ACL_OPERATIONS, s.operation),
    permission: name(ACL_PERMISSIONS, s.permission),
  };
}

function specFilter(s: Spec): AclBindingFilter {
  return { ...specBinding(s), resourceName: s.name, principal: s.principal, host: s.host };
}

/** An input the answer has no result for (librdkafka checks the count; never a silent success). */
function missing(at: string): KafkaError {
  return new KafkaError(ErrorCode._BAD_MSG, `${at}: the answer has no result for it`);
}

/** Reads a `const rd_kafka_AclBinding_t *` of a result. */
function readBinding(a: Ptr): AclBinding {
  const c = rd();
  return {
    resourceType: name(RESOURCE_TYPES, c.rd_kafka_AclBinding_restype(a)),
    resourceName: str(c.rd_kafka_AclBinding_name(a)) ?? "",
    patternType: name(PATTERN_TYPES, c.rd_kafka_AclBinding_resource_pattern_type(a)),
    principal: str(c.rd_kafka_AclBinding_principal(a)) ?? "",
    host: str(c.rd_kafka_AclBinding_host(a)) ?? "",
    operation: name(ACL_OPERATIONS, c.rd_kafka_AclBinding_operation(a)),
    permission: name(ACL_PERMISSIONS, c.rd_kafka_AclBinding_permission_type(a)),
  };
}

/**
 * Makes the bindings or filters, runs `go` and destroys them (the request copied
 * them). Filter strings are pointer parameters (NULL: any), kept alive in `keep`.
 */
function withBindings<R>(specs: readonly Spec[], filter: boolean, at: (i: number) => string, go: (m: Ptr[]) => R): R {
  const c = rd();
  const made: Ptr[] = [];
  const keep: Uint8Array[] = [];
  const nullable = (s: string | null): Ptr => {
    if (s === null) return backend.NULL;
    const b = offHeapCstr(s);
    keep.push(b);
    return backend.ptrOf(b);
  };
  try {
    const errstr = new Uint8Array(512);
    specs.forEach((s, i) => {
      const p: Ptr = filter
        ? c.rd_kafka_AclBindingFilter_new(
          s.restype,
          nullable(s.name),
          s.pattern,
          nullable(s.principal),
          nullable(s.host),
          s.operation,
          s.permission,
          errstr,
          512n,
        )
        : c.rd_kafka_AclBinding_new(
          s.restype,
          cstr(s.name!),
          s.pattern,
          cstr(s.principal!),
          cstr(s.host!),
          s.operation,
          s.permission,
          errstr,
          512n,
        );
      if (backend.isNull(p)) throw new TypeError(`${at(i)}: ${cbufText(errstr) || "refused by librdkafka"}`);
      made.push(p);
    });
    return go(made);
  } finally {
    for (const p of made) c.rd_kafka_AclBinding_destroy(p);
    keep.length = 0;
  }
}

/** `createAcls()`: see {@link AdminClient.createAcls}. @example `await createAcls(core, [acl], {})` */
export function createAcls(
  core: AdminCore,
  bindings: readonly NewAclBinding[],
  options: AdminCallOptions = {},
): Promise<CreateAclResult[]> {
  try {
    const ms = timeout(options, "createAcls");
    const at = (i: number) => `createAcls: bindings[${i}]`;
    const specs = checkArray<unknown>(bindings, "createAcls(bindings)").map((b, i) => checkBinding(b, at(i)));
    const c = rd();
    return withBindings(specs, false, at, (made) =>
      core.request({
        what: `createAcls(${specs.length} binding${specs.length === 1 ? "" : "s"})`,
        event: ADMIN_EVENT.CREATEACLS,
        timeoutMs: ms,
        send: (opts, q) => c.rd_kafka_CreateAcls(core.rk, pointerArray(made), BigInt(made.length), opts, q),
        parse: (ev) => {
          const results = list(c.rd_kafka_CreateAcls_result_acls, c.rd_kafka_event_CreateAcls_result(ev));
          return specs.map((s, i): CreateAclResult => {
            const binding = specBinding(s);
            const error = results[i] ? errorOf(c.rd_kafka_acl_result_error(results[i]), at(i)) : missing(at(i));
            return error ? { binding, error } : { binding };
          });
        },
      }));
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * `describeAcls()`: see {@link AdminClient.describeAcls}. An unauthorized caller gets
 * `[]` (librdkafka drops the broker's error; see the module comment).
 *
 * @example
 * ```ts
 * await describeAcls(core, { resourceType: "TOPIC" }, {});
 * ```
 */
export function describeAcls(
  core: AdminCore,
  filter: AclBindingFilter,
  options: AdminCallOptions = {},
): Promise<AclBinding[]> {
  try {
    const ms = timeout(options, "describeAcls");
    const spec = checkFilter(filter, "describeAcls(filter)");
    const c = rd();
    return withBindings([spec], true, () => "describeAcls(filter)", ([made]) =>
      core.request({
        what: "describeAcls",
        event: ADMIN_EVENT.DESCRIBEACLS,
        timeoutMs: ms,
        send: (opts, q) => c.rd_kafka_DescribeAcls(core.rk, made, opts, q),
        parse: (ev) =>
          list(c.rd_kafka_DescribeAcls_result_acls, c.rd_kafka_event_DescribeAcls_result(ev)).map(readBinding),
      }));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** `deleteAcls()`: see {@link AdminClient.deleteAcls}. @example `await deleteAcls(core, [{ principal: "User:bob" }], {})` */
export function deleteAcls(
  core: AdminCore,
  filters: readonly AclBindingFilter[],
  options: AdminCallOptions = {},
): Promise<DeleteAclsResult[]> {
  try {
    const ms = timeout(options, "deleteAcls");
    const at = (i: number) => `deleteAcls: filters[${i}]`;
    const specs = checkArray<unknown>(filters, "deleteAcls(filters)").map((f, i) => checkFilter(f, at(i)));
    const c = rd();
    return withBindings(specs, true, at, (made) =>
      core.request({
        what: `deleteAcls(${specs.length} filter${specs.length === 1 ? "" : "s"})`,
        event: ADMIN_EVENT.DELETEACLS,
        timeoutMs: ms,
        send: (opts, q) => c.rd_kafka_DeleteAcls(core.rk, pointerArray(made), BigInt(made.length), opts, q),
        parse: (ev) => {
          const responses = list(c.rd_kafka_DeleteAcls_result_responses, c.rd_kafka_event_DeleteAcls_result(ev));
          return specs.map((s, i): DeleteAclsResult => {
            const r = responses[i];
            const out: DeleteAclsResult = { filter: specFilter(s), deleted: [] };
            if (!r) return { ...out, error: missing(at(i)) };
            const error = errorOf(c.rd_kafka_DeleteAcls_result_response_error(r), at(i));
            if (error) out.error = error;
            out.deleted = list(c.rd_kafka_DeleteAcls_result_response_matching_acls, r).map(readBinding);
            return out;
          });
        },
      }));
  } catch (e) {
    return Promise.reject(e);
  }
}
