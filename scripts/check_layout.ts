/**
 * The layout check (run by `scripts/test.sh` with the static checks): fails when
 * a relative import closes a circle anywhere in the repository, or when a file in
 * `src/` or `ffi/` imports across the layer rule of `src/README.md`:
 *
 *   mod.ts → producer/ consumer/ admin/ mock.ts → native/ → errors.ts
 *   error_codes.ts events.ts validate.ts → ffi/mod.ts, ffi/loader.ts …
 *
 * A file imports only from its own layer or below; the capability folders do
 * not import each other; `ffi/` imports nothing from `src/`; and only
 * `ffi/bun.ts` and `ffi/deno.ts` touch a runtime's FFI. Type-only imports count:
 * a circle of types is still a circle a reader has to untangle.
 *
 *   deno run --allow-read scripts/check_layout.ts     # prints each problem, exits 1 on any
 *
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import process from "node:process";

/** Relative import specifiers of one file, comments left out (JSDoc examples import too). */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']/g)) out.push(m[1]);
  return out;
}

/** The layer of a file in `src/` or `ffi/` (higher may import lower), or undefined elsewhere. */
function layerOf(file: string): { rank: number; group: string } | undefined {
  if (file.startsWith("ffi/")) return { rank: 0, group: "ffi" };
  if (!file.startsWith("src/")) return undefined;
  const rest = file.slice(4);
  if (rest === "mod.ts") return { rank: 4, group: "mod" };
  if (rest.startsWith("native/")) return { rank: 2, group: "native" };
  const folder = rest.includes("/") ? rest.slice(0, rest.indexOf("/")) : undefined;
  if (folder) return { rank: 3, group: folder };
  if (rest === "mock.ts") return { rank: 3, group: "mock" };
  return { rank: 1, group: "shared" };
}

/** The problems in a graph of file → imported files (paths relative to the root). */
export function problems(graph: Map<string, string[]>, texts: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [file, deps] of graph) {
    const from = layerOf(file);
    for (const dep of deps) {
      const to = layerOf(dep);
      if (!from || !to) {
        if (from && !to) out.push(`${file} imports ${dep}, outside src/ and ffi/`);
        continue;
      }
      if (from.group === "ffi" && to.group !== "ffi") out.push(`${file} (raw layer) imports ${dep} from src/`);
      else if (to.rank > from.rank) out.push(`${file} imports ${dep}, a layer above it`);
      else if (to.rank === from.rank && to.rank === 3 && to.group !== from.group) {
        out.push(`${file} imports ${dep}: capabilities do not import each other (move the shared piece down)`);
      }
    }
  }
  for (const [file, text] of texts) {
    if (!file.startsWith("src/") && !file.startsWith("ffi/")) continue;
    if (file === "ffi/bun.ts" || file === "ffi/deno.ts") continue;
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    const hit = code.match(/["'](?:bun|node):ffi["']|Deno\.(?:dlopen|Unsafe\w*)/);
    if (hit) out.push(`${file} uses ${hit[0]}: only ffi/bun.ts and ffi/deno.ts touch a runtime's FFI`);
  }
  for (const circle of circles(graph)) out.push(`import circle: ${[...circle, circle[0]].join(" → ")}`);
  return out;
}

/** Every strongly connected set of more than one file (or a file importing itself), Tarjan's way. */
export function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(),
    low = new Map<string, number>(),
    stack: string[] = [],
    on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next), low.set(v, next), next++, stack.push(v), on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!));
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (let w = stack.pop()!;; w = stack.pop()!) {
      on.delete(w), scc.push(w);
      if (w === v) break;
    }
    if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.reverse());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The check must be able to fail: a known-bad graph has to give each kind of problem. */
function selfTest(): void {
  const g = new Map<string, string[]>([
    ["src/producer/producer.ts", ["src/producer/core.ts", "src/admin/core.ts"]],
    ["src/producer/core.ts", ["src/producer/producer.ts", "src/mod.ts"]],
    ["src/native/lib.ts", ["src/consumer/core.ts"]],
    ["ffi/mod.ts", ["src/errors.ts"]],
  ]);
  const texts = new Map([["src/native/lib.ts", 'import { dlopen } from "bun:ffi";']]);
  const got = problems(g, texts).join("\n");
  for (const want of ["import circle", "capabilities do not import", "a layer above", "raw layer", "bun:ffi"]) {
    if (!got.includes(want)) throw new Error(`check_layout self-test: no "${want}" problem found in\n${got}`);
  }
}

function tsFiles(dir: string, root: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name.startsWith(".") || name === "node_modules") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, root, out);
    else if (name.endsWith(".ts")) out.push(relative(root, p));
  }
  return out;
}

if (import.meta.main) {
  selfTest();
  const root = normalize(join(dirname(new URL(import.meta.url).pathname), ".."));
  const files = ["src", "ffi", "test", "bench", "examples", "scripts"].flatMap((d) => tsFiles(join(root, d), root));
  const graph = new Map<string, string[]>(), texts = new Map<string, string>();
  for (const f of files) {
    const text = readFileSync(join(root, f), "utf8");
    texts.set(f, text);
    const deps = importsOf(text).filter((s) => s.startsWith(".")).map((s) => normalize(join(dirname(f), s)));
    graph.set(f, deps);
  }
  const found = problems(graph, texts);
  for (const p of found) console.error(`layout: ${p}`);
  console.log(`layout: ${files.length} files, ${found.length} problem(s)`);
  process.exit(found.length ? 1 : 0);
}
