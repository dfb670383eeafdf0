#!/usr/bin/env bash
# The README's first command: set up, then run the demo on the embedded mock
# cluster with Bun and then with Deno. Extra arguments go to the demo (e.g. --count 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "=== Bun ==="
node_modules/.bin/bun examples/demo.ts "$@"
echo "=== Deno ==="
node_modules/.bin/deno run -A examples/demo.ts "$@"
