/**
 * SASL/OAUTHBEARER tokens from application code: the `oauthBearerProvider` option
 * of every client.
 *
 * librdkafka asks for a token with an `RD_KAFKA_EVENT_OAUTHBEARER_TOKEN_REFRESH`
 * event on the client's queue (at start, then at 80 % of each token's lifetime, and
 * 10 s after a failure), so the provider runs on the JS thread from the bounded
 * drain: no thread-safe callback, nothing waits. Its answer goes back with
 * `rd_kafka_oauthbearer_set_token`, or `rd_kafka_oauthbearer_set_token_failure`
 * when it threw or returned something librdkafka cannot use; librdkafka then
 * reports `_AUTHENTICATION` (to `error` listeners, and a producer fails its queued
 * sends with it) and asks again 10 s later.
 *
 * Secrets stay out of messages: no error text here quotes the token, the
 * extensions' values or `sasl.oauthbearer.config`.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { backend, cbufText, cstr, cstrArray, type Ptr, rd } from "./lib.ts";
import type { ClientConfig } from "./conf.ts";

/**
 * What an {@link OAuthBearerProvider} returns: the token and what librdkafka needs
 * to know about it.
 *
 * @example
 * ```ts
 * const t: OAuthBearerToken = { token: jwt, lifetimeMs: Date.now() + 3_600_000, principal: "svc-orders" };
 * ```
 */
export interface OAuthBearerToken {
  /** The token itself (e.g. a JWT), sent to the broker as is. */
  token: string;
  /** When the token expires, in milliseconds since the epoch (as Java's `OAuthBearerToken.lifetimeMs()`). */
  lifetimeMs: number;
  /** The principal the token names. */
  principal: string;
  /** SASL extensions (KIP-342), e.g. `{ logicalCluster: "lkc-1" }`: names of letters only. */
  extensions?: Record<string, string>;
}

/**
 * Supplies OAUTHBEARER tokens; `config` is the client's `sasl.oauthbearer.config`
 * property ("" when unset). Called when librdkafka needs a token: at start, then
 * before each token expires. A rejection (or a value that is not a token) fails the
 * login with that reason; librdkafka asks again 10 s later.
 *
 * @example
 * ```ts
 * const oauthBearerProvider: OAuthBearerProvider = async ({ config }) => {
 *   const { access_token, expires_in } = await fetchToken(config);
 *   return { token: access_token, lifetimeMs: Date.now() + expires_in * 1000, principal: "svc-orders" };
 * };
 * ```
 */
export type OAuthBearerProvider = (request: { config: string }) => OAuthBearerToken | Promise<OAuthBearerToken>;

/**
 * Refuses an `oauthBearerProvider` that is not a function, or one given together with
 * librdkafka's own token sources (`sasl.oauthbearer.method=oidc`, the unsecured JWT).
 *
 * @throws {TypeError} for a provider that is not a function.
 * @throws {ConfigError} naming the property that conflicts with it.
 * @example
 * ```ts
 * checkProvider(options.oauthBearerProvider, config);
 * ```
 */
export function checkProvider(provider: unknown, config: ClientConfig): OAuthBearerProvider | undefined {
  if (provider === undefined) return undefined;
  if (typeof provider !== "function") throw new TypeError("oauthBearerProvider must be a function");
  if (String(config["sasl.oauthbearer.method"] ?? "default").toLowerCase() === "oidc") {
    throw new ConfigError(
      "sasl.oauthbearer.method",
      "sasl.oauthbearer.method=oidc makes librdkafka fetch tokens itself: give it or an oauthBearerProvider, not both",
    );
  }
  const unsecure = config["enable.sasl.oauthbearer.unsecure.jwt"];
  if (unsecure === true || String(unsecure).toLowerCase() === "true") {
    throw new ConfigError(
      "enable.sasl.oauthbearer.unsecure.jwt",
      "enable.sasl.oauthbearer.unsecure.jwt makes librdkafka build tokens itself: give it or an oauthBearerProvider, not both",
    );
  }
  return provider as OAuthBearerProvider;
}

/** Internal: answers one client's token refresh events. @example `const r = new TokenRefresher(provider, () => rk)` */
export class TokenRefresher {
  #provider: OAuthBearerProvider;
  #rk: () => Ptr | undefined;
  #running = false;
  #again: string | undefined;

  /** `rk` returns the handle, or undefined once the client is closing (answers are then dropped). */
  constructor(provider: OAuthBearerProvider, rk: () => Ptr | undefined) {
    this.#provider = provider;
    this.#rk = rk;
  }

  /** Handles one refresh event (its config string is read now; the event is freed by the caller). */
  onEvent(ev: Ptr): void {
    const config = backend.readCString(rd().rd_kafka_event_config_string(ev)) ?? "";
    void this.#refresh(config);
  }

  async #refresh(config: string): Promise<void> {
    // One provider call at a time; a refresh asked for meanwhile runs after it.
    if (this.#running) {
      this.#again = config;
      return;
    }
    this.#running = true;
    try {
      let answer: unknown;
      try {
        answer = await this.#provider({ config });
      } catch (e) {
        this.#fail(`oauthBearerProvider failed: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      const why = invalid(answer);
      if (why) {
        this.#fail(`oauthBearerProvider returned ${why}`);
        return;
      }
      this.#set(answer as OAuthBearerToken);
    } finally {
      this.#running = false;
      const again = this.#again;
      this.#again = undefined;
      if (again !== undefined) void this.#refresh(again);
    }
  }

  #set(t: OAuthBearerToken): void {
    const rk = this.#rk();
    if (rk === undefined) return;
    const ext = Object.entries(t.extensions ?? {}).flat();
    const arr = cstrArray(ext);
    const errstr = new Uint8Array(512);
    const err: number = rd().rd_kafka_oauthbearer_set_token(
      rk,
      cstr(t.token),
      BigInt(Math.floor(t.lifetimeMs)),
      cstr(t.principal),
      ext.length ? backend.ptrOf(arr.array) : backend.NULL,
      BigInt(ext.length),
      errstr,
      512n,
    );
    void arr.keep; // the strings stay alive until the call returned
    if (err !== 0) this.#fail(`librdkafka refused the token from oauthBearerProvider: ${cbufText(errstr)}`);
  }

  #fail(reason: string): void {
    const rk = this.#rk();
    if (rk !== undefined) rd().rd_kafka_oauthbearer_set_token_failure(rk, cstr(reason));
  }
}

/** Why `v` is not a usable token (never quoting it), or "" when it is. */
function invalid(v: unknown): string {
  if (v === null || typeof v !== "object") {
    return `${v === null ? "null" : typeof v}, not { token, lifetimeMs, principal }`;
  }
  const t = v as Partial<OAuthBearerToken>;
  if (typeof t.token !== "string" || t.token === "" || t.token.includes("\0")) {
    return "no token (token must be a non-empty string)";
  }
  if (typeof t.lifetimeMs !== "number" || !Number.isFinite(t.lifetimeMs)) {
    return "no lifetimeMs (the expiry in milliseconds since the epoch)";
  }
  if (t.lifetimeMs <= Date.now()) return `a token that expired ${Math.round(Date.now() - t.lifetimeMs)} ms ago`;
  if (typeof t.principal !== "string" || t.principal === "" || t.principal.includes("\0")) {
    return "no principal (a non-empty string)";
  }
  if (t.extensions !== undefined) {
    if (t.extensions === null || typeof t.extensions !== "object") return "extensions that are not an object";
    for (const [k, val] of Object.entries(t.extensions)) {
      if (!/^[A-Za-z]+$/.test(k) || k === "auth") {
        return `an extension named ${JSON.stringify(k)} (letters only, not "auth")`;
      }
      if (typeof val !== "string" || val.includes("\0")) return `a value of extension ${k} that is not a string`;
    }
  }
  return "";
}
