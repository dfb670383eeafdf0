/**
 * ACLs: create, describe and delete access-control bindings.
 *
 * @module
 */
import type { KafkaError } from "./errors.ts";
import type { AdminCore } from "./admin_core.ts";
import type { AdminCallOptions } from "./admin_read.ts";

/**
 * One ACL: who (`principal`, `host`) may or may not (`permission`) do what
 * (`operation`) on which resources (`resourceType`, `resourceName`, `patternType`).
 * Names are librdkafka's (any case on input): resource types `"TOPIC"`, `"GROUP"`,
 * `"BROKER"` (the cluster), `"TRANSACTIONAL_ID"`; patterns `"LITERAL"`, `"PREFIXED"`;
 * operations `"READ"`, `"WRITE"`, `"DESCRIBE"`, `"ALL"`, …; permissions `"ALLOW"`, `"DENY"`.
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
 * (`"ANY"`); `patternType: "MATCH"` matches the bindings that apply to a name.
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
  binding: AclBinding;
  error?: KafkaError;
}

/** The outcome for one filter of {@link AdminClient.deleteAcls}, in input order. @example `console.log(r.deleted.length)` */
export interface DeleteAclsResult {
  filter: AclBindingFilter;
  error?: KafkaError;
  /** The bindings the filter matched and the broker deleted. */
  deleted: AclBinding[];
}

/** `createAcls()`: see {@link AdminClient.createAcls}. @example `await createAcls(core, [acl], {})` */
export function createAcls(
  _core: AdminCore,
  _bindings: readonly NewAclBinding[],
  _options: AdminCallOptions = {},
): Promise<CreateAclResult[]> {
  return Promise.reject(new Error("createAcls: not implemented yet"));
}

/** `describeAcls()`: see {@link AdminClient.describeAcls}. @example `await describeAcls(core, { resourceType: "TOPIC" }, {})` */
export function describeAcls(
  _core: AdminCore,
  _filter: AclBindingFilter,
  _options: AdminCallOptions = {},
): Promise<AclBinding[]> {
  return Promise.reject(new Error("describeAcls: not implemented yet"));
}

/** `deleteAcls()`: see {@link AdminClient.deleteAcls}. @example `await deleteAcls(core, [{ principal: "User:bob" }], {})` */
export function deleteAcls(
  _core: AdminCore,
  _filters: readonly AclBindingFilter[],
  _options: AdminCallOptions = {},
): Promise<DeleteAclsResult[]> {
  return Promise.reject(new Error("deleteAcls: not implemented yet"));
}
