/**
 * A real Apache Kafka broker owned by one test file (scripts/kafka.sh with its own
 * port base and run directory), for tests that kill and restart it: they must
 * never disturb the shared broker other files use, nor each other.
 *
 * @module
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * One file's broker: `start()` at module load, `kill()`/`restart()` in tests,
 * `release()` in an `after` hook.
 *
 * @example
 * ```ts
 * const broker = new OwnBroker("failover-bun", 29092, (s) => console.log(s));
 * broker.start();
 * after(() => broker.release());
 * await broker.run("kill");
 * ```
 */
export class OwnBroker {
  readonly bootstrap: string;
  readonly runDir: string;
  #env: Record<string, string | undefined>;
  /** Holds the pid of the test process that owns the broker (the run dir itself is remade by `up`). */
  #owner: string;
  #report: (line: string) => void;

  constructor(name: string, portBase: number, report: (line: string) => void) {
    this.runDir = `${ROOT}.cache/kafka/run-${name}`;
    this.bootstrap = `127.0.0.1:${portBase}`;
    this.#env = { ...process.env, KAFKA_PORT_BASE: String(portBase), KAFKA_RUN_DIR: this.runDir };
    this.#owner = `${this.runDir}.owner`;
    this.#report = report;
  }

  /** `scripts/kafka.sh <cmd>` for this broker; throws with its output on failure. */
  runSync(cmd: string, timeoutMs = 180_000): string {
    try {
      return execFileSync("bash", [`${ROOT}scripts/kafka.sh`, cmd], {
        env: this.#env,
        encoding: "utf8",
        timeout: timeoutMs,
        stdio: ["ignore", "pipe", "pipe"],
      }).trim();
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(`scripts/kafka.sh ${cmd} failed: ${x.message}\n${x.stdout ?? ""}\n${x.stderr ?? ""}`);
    }
  }

  /**
   * Freezes the broker (SIGSTOP: its connections stay open, nothing is answered, as
   * with a broker stuck in a long pause) or lets it go on (SIGCONT). Unlike a kill,
   * nothing has to restart, so it takes no time.
   */
  freeze(on: boolean): void {
    const pid = Number(readFileSync(`${this.runDir}/kafka.pid`, "utf8").trim());
    process.kill(pid, on ? "SIGSTOP" : "SIGCONT");
  }

  /** The same, without blocking the event loop (clients keep working meanwhile). */
  run(cmd: string, timeoutMs = 180_000): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        "bash",
        [`${ROOT}scripts/kafka.sh`, cmd],
        { env: this.#env, encoding: "utf8", timeout: timeoutMs },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`scripts/kafka.sh ${cmd} failed: ${err.message}\n${stdout}\n${stderr}`));
          else resolve(String(stdout).trim());
        },
      );
    });
  }

  /**
   * Starts the broker. Call it at module load, not in `before`: Bun's node:test
   * hooks time out after 5 s whatever their `timeout` option says, and the first
   * `up` may download the broker for minutes.
   */
  start(): void {
    requireJavaAndMaven("a real broker");
    this.#claim();
    this.#report(this.runSync("up", 600_000));
  }

  /**
   * Makes this process the broker's only user: two runs of one file on one broker
   * would kill it under each other. Fails clearly while another run is alive; takes
   * over (stopping its broker) from one that died without cleaning up.
   */
  #claim(): void {
    for (let gone; (gone = takeOwnership(this.#owner, `the broker in ${this.runDir}`)) !== undefined;) {
      this.#report(`taking over from pid ${gone}, which is gone: ${this.runSync("down")}`);
      unlinkSync(this.#owner);
    }
  }

  /**
   * Stops the broker if it still runs (a test may leave it dead, and `status`,
   * unlike `down`, does not wait for kafka.sh's lock, which every broker's up/down
   * share: Bun ends an `after` hook at 5 s).
   */
  release(): void {
    let running = true;
    try {
      execFileSync("bash", [`${ROOT}scripts/kafka.sh`, "status"], { env: this.#env, stdio: "ignore" });
    } catch {
      running = false; // exit 3: stopped
    }
    if (running) {
      try {
        this.freeze(false); // a test that failed while the broker was frozen
      } catch { /* not running after all */ }
      this.#report(this.runSync("down"));
    }
    if (existsSync(this.#owner) && readFileSync(this.#owner, "utf8") === String(process.pid)) unlinkSync(this.#owner);
  }
}

/**
 * Throws, naming what is missing and how to install it, unless `java` and `mvn`
 * are on the PATH (scripts/kafka.sh fetches the broker with Maven and runs it with Java).
 *
 * @example
 * ```ts
 * requireJavaAndMaven("a real broker");
 * ```
 */
export function requireJavaAndMaven(what: string): void {
  const missing = ["java", "mvn"].filter((t) => {
    try {
      execFileSync("bash", ["-c", `command -v ${t}`], { stdio: "ignore" });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    throw new Error(
      `this test needs ${what}, and ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} ` +
        "missing: install a JDK and Maven (apt-get install openjdk-17-jre-headless maven)",
    );
  }
}

/**
 * Makes this process the owner recorded in `owner` (a file holding a pid): returns
 * undefined once it is, the pid of a previous owner that died (the caller stops what
 * it left running, removes the file and asks again), and throws while a live process
 * owns `what`.
 *
 * @example
 * ```ts
 * for (let gone; (gone = takeOwnership(file, "the broker")) !== undefined;) unlinkSync(file);
 * ```
 */
export function takeOwnership(owner: string, what: string): number | undefined {
  try {
    writeFileSync(owner, String(process.pid), { flag: "wx" });
    return undefined;
  } catch (e) {
    if ((e as { code?: string }).code !== "EEXIST") throw e;
  }
  const pid = Number(readFileSync(owner, "utf8"));
  if (pid > 0 && existsSync(`/proc/${pid}`)) {
    throw new Error(`another test run (pid ${pid}) is using ${what}: wait for it to end`);
  }
  return pid;
}
