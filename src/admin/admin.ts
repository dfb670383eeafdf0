/**
 * The AdminClient: topics, partitions, configs, groups, offsets, records, ACLs,
 * SCRAM users and metadata, none of which blocks the event loop.
 *
 * librdkafka's Admin API answers every request with an event on a queue, which
 * fits the core: requests go out at once, results wake the JS thread through the
 * client's pipe (see `core.ts`). The one classic call that waits,
 * `rd_kafka_metadata`, runs off the JS thread. Calls whose C function the loaded
 * librdkafka lacks reject with a {@link LibraryLoadError} naming the version they
 * need, or use an honest fallback where there is one (metadata for `describeTopics`
 * and `describeCluster`, offsets for times for `listOffsets`).
 *
 * @module
 */
import { EVENT, RD_KAFKA_PRODUCER } from "../../ffi/mod.ts";
import { type ClientEvents, Emitter } from "../events.ts";
import { AdminCore, adminSink } from "./core.ts";
import type { AdminCallOptions } from "./read.ts";
import {
  type ClusterDescription,
  type ClusterMetadata,
  describeCluster,
  type DescribeClusterOptions,
  listTopics,
  metadata,
  type MetadataOptions,
  type TopicDescription,
} from "./cluster.ts";
import {
  type CreateOptions,
  createPartitions,
  createTopics,
  deleteTopics,
  describeTopics,
  type DescribeTopicsOptions,
  type NewPartitions,
  type NewTopic,
  type TopicResult,
} from "./topics.ts";
import {
  alterConfigs,
  type AlterConfigsOptions,
  type AlterConfigsResource,
  type AlterConfigsResult,
  type ConfigResource,
  type ConfigResourceResult,
  describeConfigs,
  incrementalAlterConfigs,
  type IncrementalAlterConfigsResource,
} from "./configs.ts";
import {
  alterGroupOffsets,
  deleteGroupOffsets,
  deleteGroups,
  describeGroups,
  type DescribeGroupsOptions,
  type GroupDescription,
  type GroupOffsets,
  type GroupResult,
  listGroupOffsets,
  type ListGroupOffsetsOptions,
  listGroups,
  type ListGroupsOptions,
  type ListGroupsResult,
} from "./groups.ts";
import {
  deleteRecords,
  type DeleteRecordsRequest,
  type DeleteRecordsResult,
  listOffsets,
  type ListOffsetsOptions,
  type ListOffsetsRequest,
  type ListOffsetsResult,
} from "./offsets.ts";
import {
  type AclBinding,
  type AclBindingFilter,
  type CreateAclResult,
  createAcls,
  deleteAcls,
  type DeleteAclsResult,
  describeAcls,
  type NewAclBinding,
} from "./acls.ts";
import {
  type AlterScramResult,
  alterUserScramCredentials,
  describeUserScramCredentials,
  type ScramCredentialAlteration,
  type UserScramCredentials,
} from "./scram.ts";
import { checkConfig, type ClientConfig, has } from "../native/conf.ts";
import { closeTimeout } from "../validate.ts";
import { checkProvider, type OAuthBearerProvider } from "../native/oauth.ts";
import { clientOf, NativeClient } from "../native/client.ts";
import type { TopicPartition } from "../native/tplist.ts";

/** Options of this library for {@link AdminClient} (not librdkafka properties). @example `new AdminClient(config, { drainBudget: 500 })` */
export interface AdminClientOptions {
  /** Most events handled per macrotask. Default 2 000. */
  drainBudget?: number;
  /**
   * Supplies SASL/OAUTHBEARER tokens from code (with `sasl.mechanisms: "OAUTHBEARER"`),
   * called when librdkafka needs one. See {@link OAuthBearerProvider}.
   */
  oauthBearerProvider?: OAuthBearerProvider;
}

/** Set by fromClient for the one constructor call it makes. */
let sharing: { native: NativeClient; parent: object } | undefined;

// The held value is the core alone (see the Consumer's registry for why).
const registry = new FinalizationRegistry<{ core: AdminCore; own: boolean }>(({ core, own }) => {
  void core.close(10_000, own).catch(() => {});
});

/**
 * Manages a Kafka cluster from Bun or Deno without blocking the event loop.
 *
 * `config` is librdkafka's property map (`bootstrap.servers`, security settings).
 * The client counts towards `maxClients`; {@link AdminClient.fromClient} shares a
 * producer's or consumer's connection instead and takes no slot of its own.
 * Defaults that differ from librdkafka's: `allow.auto.create.topics` is false, so
 * asking about a topic never creates it.
 *
 * Every call resolves with plain objects. A refusal for one item (one of three
 * topics already exists) is that item's `error`; only a failure of the whole call
 * (no broker reachable, `_TIMED_OUT`, not authorized for the request) rejects with
 * a {@link KafkaError}. Bad arguments reject with a `TypeError` naming them before
 * anything is sent.
 *
 * @example
 * ```ts
 * import { AdminClient } from "kafka-fast";
 * await using admin = new AdminClient({ "bootstrap.servers": "127.0.0.1:9092" });
 * const [created] = await admin.createTopics([{ name: "orders", partitions: 6 }]);
 * if (created.error) console.error(created.error.name);
 * console.log(await admin.listTopics());
 * ```
 */
export class AdminClient {
  #core: AdminCore;
  #emitter: Emitter;
  #own: boolean;
  /** The producer or consumer whose handle this one shares: kept alive while we are. */
  #parent: object | undefined;

  /**
   * @throws {ConfigError} for an unknown property or a value librdkafka refuses.
   * @throws {LimitError} when `maxClients` clients are open.
   */
  constructor(config: ClientConfig, options: AdminClientOptions = {}) {
    const shared = sharing;
    sharing = undefined;
    if (shared) {
      this.#emitter = new Emitter();
      this.#own = false;
      this.#parent = shared.parent;
      this.#core = new AdminCore("admin client");
      this.#core.native = shared.native;
      this.#core.check(); // ClosedError when the producer or consumer is closed
      this.#core.attach(shared.native);
      this.#core.owner = new WeakRef(this);
      registry.register(this, { core: this.#core, own: false }, this);
      return;
    }
    checkConfig(config);
    if (options === null || typeof options !== "object" || Array.isArray(options)) {
      throw new TypeError("AdminClient options must be an object");
    }
    for (const k of Object.keys(options)) {
      if (k !== "drainBudget" && k !== "oauthBearerProvider") {
        throw new TypeError(`unknown AdminClient option "${k}" (librdkafka properties go in the first argument)`);
      }
    }
    const budget = options.drainBudget ?? 2_000;
    if (!Number.isInteger(budget) || budget < 1) {
      throw new TypeError(`AdminClient option drainBudget must be an integer >= 1, got ${String(budget)}`);
    }
    const oauthBearerProvider = checkProvider(options.oauthBearerProvider, config);
    this.#emitter = new Emitter();
    this.#own = true;
    this.#core = new AdminCore("admin client");
    const native = new NativeClient(config, {
      oauthBearerProvider,
      type: RD_KAFKA_PRODUCER,
      events: EVENT.NONE,
      defaults: {
        "client.software.name": "kafka-fast",
        ...(has(config, "allow.auto.create.topics") ? {} : { "allow.auto.create.topics": "false" }),
      },
      drainBudget: budget,
      emitter: this.#emitter.relay(),
      sink: adminSink(),
    });
    this.#core.attach(native);
    this.#core.owner = new WeakRef(this);
    registry.register(this, { core: this.#core, own: true }, this);
  }

  /**
   * An admin client on the connection of an open producer or consumer (librdkafka
   * allows admin requests on any handle): no new threads or sockets, no
   * `maxClients` slot. Closing it leaves the producer or consumer open; closing
   * those first makes this one throw {@link ClosedError}. Events (`error`, `log`)
   * are the producer's or consumer's own.
   *
   * @throws {TypeError} unless `client` is a kafka-fast Producer or Consumer.
   * @throws {ClosedError} when it is closed.
   * @example
   * ```ts
   * const admin = AdminClient.fromClient(producer);
   * await admin.createTopics([{ name: "events", partitions: 3 }]);
   * await admin.close(); // the producer stays open
   * ```
   */
  static fromClient(client: object): AdminClient {
    const native = clientOf(client);
    if (!native) throw new TypeError("AdminClient.fromClient needs a kafka-fast Producer or Consumer");
    sharing = { native, parent: client };
    try {
      return new AdminClient({});
    } finally {
      sharing = undefined;
    }
  }

  /** librdkafka's name of the handle, e.g. `"rdkafka#producer-3"`. @example `admin.name` */
  get name(): string {
    return this.#core.native.name;
  }

  /** True once `close()` was called, or once the client it shares was closed. @example `admin.closed` */
  get closed(): boolean {
    return this.#core.closing || this.#core.native.closed;
  }

  /** Requests waiting for their answer. @example `admin.pending` */
  get pending(): number {
    return this.#core.pendingCount;
  }

  // --- topics ------------------------------------------------------------------

  /**
   * Creates topics; each result says whether its topic was created (`error`, e.g.
   * `TOPIC_ALREADY_EXISTS`, when not). The broker is asked to finish the creation
   * within `timeoutMs`.
   *
   * @throws {TypeError} (rejects) for a bad argument (negative partitions, duplicate names); {@link KafkaError} `TOPIC_EXCEPTION` for an invalid name.
   * @example
   * ```ts
   * await admin.createTopics([{ name: "orders", partitions: 6, replicationFactor: 3, configs: { "cleanup.policy": "compact" } }]);
   * ```
   */
  createTopics(topics: readonly NewTopic[], options?: CreateOptions): Promise<TopicResult[]> {
    return this.#core.guard(createTopics(this.#core, topics, options));
  }

  /**
   * Deletes topics; each result says whether its topic was deleted
   * (`UNKNOWN_TOPIC_OR_PART` when there was none).
   *
   * @example
   * ```ts
   * const [r] = await admin.deleteTopics(["orders"]);
   * ```
   */
  deleteTopics(names: readonly string[], options?: AdminCallOptions): Promise<TopicResult[]> {
    return this.#core.guard(deleteTopics(this.#core, names, options));
  }

  /**
   * Raises topics' partition counts to `totalCount` (Kafka cannot lower them).
   *
   * @example
   * ```ts
   * await admin.createPartitions([{ topic: "orders", totalCount: 12 }]);
   * ```
   */
  createPartitions(partitions: readonly NewPartitions[], options?: CreateOptions): Promise<TopicResult[]> {
    return this.#core.guard(createPartitions(this.#core, partitions, options));
  }

  /**
   * The names of the cluster's topics, sorted; Kafka's internal ones
   * (`__consumer_offsets`, …) only with `includeInternal`.
   *
   * @example
   * ```ts
   * const names = await admin.listTopics();
   * ```
   */
  listTopics(options?: AdminCallOptions & { includeInternal?: boolean }): Promise<string[]> {
    return this.#core.guard(listTopics(this.#core, options));
  }

  /**
   * Partitions, leaders, replicas and in-sync replicas of topics (a topic the
   * cluster lacks comes back with `UNKNOWN_TOPIC_OR_PART`). Uses
   * `rd_kafka_DescribeTopics` (librdkafka ≥ 2.3.0, which also reports the topic id
   * and internal flag); on older ones the same from metadata.
   * `includeAuthorizedOperations` needs librdkafka ≥ 2.3.0.
   *
   * @example
   * ```ts
   * const [d] = await admin.describeTopics(["orders"]);
   * console.log(d.partitions.length, d.partitions[0].leader?.id);
   * ```
   */
  describeTopics(names: readonly string[], options?: DescribeTopicsOptions): Promise<TopicDescription[]> {
    return this.#core.guard(describeTopics(this.#core, names, options));
  }

  // --- cluster -------------------------------------------------------------------

  /**
   * Brokers and the topic/partition layout, as one metadata request (off the JS
   * thread). Never creates a topic it asks about.
   *
   * @example
   * ```ts
   * const md = await admin.metadata({ topics: ["orders"], timeoutMs: 5_000 });
   * ```
   */
  metadata(options?: MetadataOptions): Promise<ClusterMetadata> {
    return this.#core.guard(metadata(this.#core, options));
  }

  /**
   * The cluster id, the controller and the brokers. Uses `rd_kafka_DescribeCluster`
   * (librdkafka ≥ 2.3.0); on older ones metadata and librdkafka's cached controller
   * and cluster id. `includeAuthorizedOperations` needs librdkafka ≥ 2.3.0.
   *
   * @example
   * ```ts
   * const { clusterId, controller, brokers } = await admin.describeCluster();
   * ```
   */
  describeCluster(options?: DescribeClusterOptions): Promise<ClusterDescription> {
    return this.#core.guard(describeCluster(this.#core, options));
  }

  // --- configs -------------------------------------------------------------------

  /**
   * The configuration of topics, brokers (name: the broker id; at most one broker
   * per call, a limit of librdkafka's) or groups (librdkafka ≥ 2.10.0), every entry
   * with its source and flags.
   *
   * @example
   * ```ts
   * const [res] = await admin.describeConfigs([{ type: "TOPIC", name: "orders" }]);
   * console.log(res.configs.find((c) => c.name === "retention.ms")?.value);
   * ```
   */
  describeConfigs(resources: readonly ConfigResource[], options?: AdminCallOptions): Promise<ConfigResourceResult[]> {
    return this.#core.guard(describeConfigs(this.#core, resources, options));
  }

  /**
   * Replaces the dynamic configuration of resources: values left out go back to
   * their defaults. Prefer {@link incrementalAlterConfigs} where available. GROUP
   * resources need librdkafka ≥ 2.10.0.
   *
   * @example
   * ```ts
   * await admin.alterConfigs([{ type: "TOPIC", name: "orders", configs: { "retention.ms": 86_400_000 } }]);
   * ```
   */
  alterConfigs(
    resources: readonly AlterConfigsResource[],
    options?: AlterConfigsOptions,
  ): Promise<AlterConfigsResult[]> {
    return this.#core.guard(alterConfigs(this.#core, resources, options));
  }

  /**
   * Changes single configuration values (`SET`, `DELETE`, `APPEND`, `SUBTRACT`),
   * leaving the others alone. Needs librdkafka ≥ 2.2.0 (`rd_kafka_IncrementalAlterConfigs`):
   * there is no honest fallback on older ones, so it rejects with a
   * {@link LibraryLoadError} that says so.
   *
   * @example
   * ```ts
   * await admin.incrementalAlterConfigs([{ type: "TOPIC", name: "orders", ops: [{ name: "retention.ms", op: "SET", value: 3_600_000 }] }]);
   * ```
   */
  incrementalAlterConfigs(
    resources: readonly IncrementalAlterConfigsResource[],
    options?: AlterConfigsOptions,
  ): Promise<AlterConfigsResult[]> {
    return this.#core.guard(incrementalAlterConfigs(this.#core, resources, options));
  }

  // --- groups ----------------------------------------------------------------------

  /**
   * Every consumer group the brokers know (optionally only those in some states).
   * Brokers that could not answer are in `errors`. `types` needs librdkafka ≥ 2.6.0.
   *
   * @example
   * ```ts
   * const { groups } = await admin.listGroups({ states: ["Stable", "Empty"] });
   * ```
   */
  listGroups(options?: ListGroupsOptions): Promise<ListGroupsResult> {
    return this.#core.guard(listGroups(this.#core, options));
  }

  /**
   * Groups' state, assignor, coordinator and members with their assignments.
   * `includeAuthorizedOperations` needs librdkafka ≥ 2.3.0.
   *
   * @example
   * ```ts
   * const [g] = await admin.describeGroups(["billing"]);
   * for (const m of g.members) console.log(m.clientId, m.assignment);
   * ```
   */
  describeGroups(groupIds: readonly string[], options?: DescribeGroupsOptions): Promise<GroupDescription[]> {
    return this.#core.guard(describeGroups(this.#core, groupIds, options));
  }

  /**
   * Deletes groups and their committed offsets; a group with members comes back
   * with `NON_EMPTY_GROUP`. On librdkafka's mock cluster, which lacks DeleteGroups
   * (librdkafka would abort the process, #3663), each group gets `_UNSUPPORTED_FEATURE` unsent.
   *
   * @example
   * ```ts
   * await admin.deleteGroups(["old-billing"]);
   * ```
   */
  deleteGroups(groupIds: readonly string[], options?: AdminCallOptions): Promise<GroupResult[]> {
    return this.#core.guard(deleteGroups(this.#core, groupIds, options));
  }

  /**
   * A group's committed offsets: of these partitions, or of every partition it has
   * committed for.
   *
   * @example
   * ```ts
   * const { partitions } = await admin.listGroupOffsets("billing");
   * ```
   */
  listGroupOffsets(
    groupId: string,
    partitions?: readonly TopicPartition[],
    options?: ListGroupOffsetsOptions,
  ): Promise<GroupOffsets> {
    return this.#core.guard(listGroupOffsets(this.#core, groupId, partitions, options));
  }

  /**
   * Sets a group's committed offsets (the next offset to read). The group must have
   * no members (`UNKNOWN_MEMBER_ID` otherwise); its next consumer starts there.
   *
   * @example
   * ```ts
   * await admin.alterGroupOffsets("billing", [{ topic: "orders", partition: 0, offset: 1000n }]);
   * ```
   */
  alterGroupOffsets(
    groupId: string,
    offsets: readonly (TopicPartition & { offset: bigint })[],
    options?: AdminCallOptions,
  ): Promise<GroupOffsets> {
    return this.#core.guard(alterGroupOffsets(this.#core, groupId, offsets, options));
  }

  /**
   * Deletes a group's committed offsets for these partitions (its consumers then
   * start from `auto.offset.reset`). Needs Kafka ≥ 2.4 (OffsetDelete): librdkafka
   * aborts the process when the group's coordinator lacks it (confluentinc/librdkafka#3663),
   * so on librdkafka's mock cluster it rejects `_UNSUPPORTED_FEATURE` unsent.
   *
   * @example
   * ```ts
   * await admin.deleteGroupOffsets("billing", [{ topic: "orders", partition: 0 }]);
   * ```
   */
  deleteGroupOffsets(
    groupId: string,
    partitions: readonly TopicPartition[],
    options?: AdminCallOptions,
  ): Promise<GroupOffsets> {
    return this.#core.guard(deleteGroupOffsets(this.#core, groupId, partitions, options));
  }

  // --- offsets and records -----------------------------------------------------------

  /**
   * Offsets of partitions: earliest, latest, or the first at or after a timestamp.
   * Uses `rd_kafka_ListOffsets` (librdkafka ≥ 2.3.0, which also reports the
   * message's timestamp); on older ones `rd_kafka_offsets_for_times` off the JS
   * thread. `"maxTimestamp"` and `isolationLevel: "read_committed"` need librdkafka ≥ 2.3.0.
   *
   * @example
   * ```ts
   * const [r] = await admin.listOffsets([{ topic: "orders", partition: 0, spec: { timestamp: Date.now() - 60_000 } }]);
   * ```
   */
  listOffsets(requests: readonly ListOffsetsRequest[], options?: ListOffsetsOptions): Promise<ListOffsetsResult[]> {
    return this.#core.guard(listOffsets(this.#core, requests, options));
  }

  /**
   * Deletes the records of partitions below an offset (`OFFSET.END`: all); reads
   * then start at the new low watermark.
   *
   * @example
   * ```ts
   * await admin.deleteRecords([{ topic: "orders", partition: 0, before: 500n }]);
   * ```
   */
  deleteRecords(requests: readonly DeleteRecordsRequest[], options?: AdminCallOptions): Promise<DeleteRecordsResult[]> {
    return this.#core.guard(deleteRecords(this.#core, requests, options));
  }

  // --- ACLs and SCRAM users ------------------------------------------------------------

  /**
   * Creates ACLs (the broker needs an authorizer; without one the call rejects with
   * `SECURITY_DISABLED`).
   *
   * @example
   * ```ts
   * await admin.createAcls([{ resourceType: "TOPIC", resourceName: "orders", principal: "User:bob", operation: "READ", permission: "DENY" }]);
   * ```
   */
  createAcls(bindings: readonly NewAclBinding[], options?: AdminCallOptions): Promise<CreateAclResult[]> {
    return this.#core.guard(createAcls(this.#core, bindings, options));
  }

  /**
   * The ACLs that match a filter (fields left out match anything). Note: librdkafka
   * (2.0.2 to 2.12 at least) drops the broker's error of a DescribeAcls answer, so a
   * principal not allowed to describe ACLs gets `[]`, not an authorization error.
   *
   * @example
   * ```ts
   * const acls = await admin.describeAcls({ resourceType: "TOPIC", resourceName: "orders" });
   * ```
   */
  describeAcls(filter: AclBindingFilter, options?: AdminCallOptions): Promise<AclBinding[]> {
    return this.#core.guard(describeAcls(this.#core, filter, options));
  }

  /**
   * Deletes the ACLs that match each filter; each result lists what it deleted.
   *
   * @example
   * ```ts
   * const [r] = await admin.deleteAcls([{ principal: "User:bob" }]);
   * console.log(r.deleted.length);
   * ```
   */
  deleteAcls(filters: readonly AclBindingFilter[], options?: AdminCallOptions): Promise<DeleteAclsResult[]> {
    return this.#core.guard(deleteAcls(this.#core, filters, options));
  }

  /**
   * The SCRAM credentials (mechanisms and iterations) of these users, or of every
   * user. Needs librdkafka ≥ 2.2.0.
   *
   * @example
   * ```ts
   * const [alice] = await admin.describeUserScramCredentials(["alice"]);
   * ```
   */
  describeUserScramCredentials(users?: readonly string[], options?: AdminCallOptions): Promise<UserScramCredentials[]> {
    return this.#core.guard(describeUserScramCredentials(this.#core, users, options));
  }

  /**
   * Creates, changes or deletes users' SCRAM credentials. Needs librdkafka ≥ 2.2.0.
   *
   * @example
   * ```ts
   * await admin.alterUserScramCredentials([{ type: "upsert", user: "carol", mechanism: "SCRAM-SHA-256", password: "s3cret" }]);
   * ```
   */
  alterUserScramCredentials(
    alterations: readonly ScramCredentialAlteration[],
    options?: AdminCallOptions,
  ): Promise<AlterScramResult[]> {
    return this.#core.guard(alterUserScramCredentials(this.#core, alterations, options));
  }

  // --- lifecycle -----------------------------------------------------------------------

  /**
   * Refuses new calls, waits up to `timeoutMs` for those in flight, rejects the rest
   * with {@link ClosedError}, and frees the handle off the JS thread (an admin client
   * from {@link fromClient} frees only its own queue). Idempotent.
   *
   * @example
   * ```ts
   * await admin.close({ timeoutMs: 5_000 });
   * ```
   */
  close(options?: { timeoutMs?: number }): Promise<void> {
    let t: number;
    try {
      // Checked before anything changes: a refused close leaves the client open, and registered.
      t = closeTimeout(options);
    } catch (e) {
      return Promise.reject(e);
    }
    registry.unregister(this);
    return this.#core.close(t, this.#own).finally(() => {
      this.#parent = undefined;
    });
  }

  /** `await using admin = new AdminClient(…)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Listens to `error`, `log` or `stats` of an admin client's own handle (one made
   * with {@link fromClient} reports them on its producer or consumer).
   *
   * @example
   * ```ts
   * admin.on("error", (e) => console.error(e.name, e.message));
   * ```
   */
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    if (!this.#own) throw new TypeError("an admin client from fromClient() reports events on its producer or consumer");
    this.#emitter.on(event, listener);
    return this;
  }

  /** Removes a listener added with {@link on}. @example `admin.off("log", fn)` */
  off<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this {
    this.#emitter.off(event, listener);
    return this;
  }
}
