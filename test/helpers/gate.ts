/**
 * A TCP gate in front of a real broker, for the kafka tier's "broker down"
 * tests (the mock tier has `MockCluster.setBrokerDown`; a shared real broker
 * cannot be stopped by one test).
 *
 * Give the gate's address to a client as its only `bootstrap.servers`. While the
 * gate is down it accepts and at once closes every connection, so the client
 * never reaches a broker. Once it is up it forwards bytes to the target; the
 * client then bootstraps through it, learns the broker's advertised address from
 * the metadata and connects there directly. So "down, then up" is a broker that
 * comes back; "up, then down" is not (the direct connection stays).
 *
 * Uses `node:net`, which Bun and Deno both provide.
 *
 * @module
 */
import net from "node:net";

/**
 * A TCP forwarder on 127.0.0.1 that can refuse service.
 *
 * @example
 * ```ts
 * const gate = await TcpGate.create("127.0.0.1:9092"); // down
 * const p = new Producer({ "bootstrap.servers": gate.address });
 * gate.setUp(true);
 * ```
 */
export class TcpGate {
  #server: net.Server;
  #up = false;
  #sockets = new Set<net.Socket>();
  #port: number;
  #closed: Promise<void> | undefined;

  private constructor(server: net.Server, port: number) {
    this.#server = server;
    this.#port = port;
  }

  /** Starts a gate (down) on a free port of 127.0.0.1, forwarding to `target` ("host:port") once up. */
  static create(target: string): Promise<TcpGate> {
    const i = target.lastIndexOf(":");
    const host = target.slice(0, i);
    const port = Number(target.slice(i + 1));
    return new Promise((resolve, reject) => {
      let gate: TcpGate;
      const server = net.createServer((client) => {
        if (!gate.#up) {
          client.destroy();
          return;
        }
        const upstream = net.connect({ host, port });
        for (const s of [client, upstream]) {
          gate.#sockets.add(s);
          s.on("error", () => {});
          s.on("close", () => {
            gate.#sockets.delete(s);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        gate = new TcpGate(server, (server.address() as net.AddressInfo).port);
        resolve(gate);
      });
    });
  }

  /** `"127.0.0.1:port"`, for `bootstrap.servers`. */
  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** Opens (forwards) or closes (drops every connection, open ones too) the gate. */
  setUp(up: boolean): void {
    this.#up = up;
    if (!up) { for (const s of this.#sockets) s.destroy(); }
  }

  /** Stops listening and drops every connection. Idempotent. */
  close(): Promise<void> {
    this.setUp(false);
    this.#closed ??= new Promise((resolve) => this.#server.close(() => resolve()));
    return this.#closed;
  }
}
