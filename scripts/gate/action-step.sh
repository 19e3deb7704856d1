#!/usr/bin/env bash
# The action's measuring step (action.yml): its inputs come as KAB_* variables, each given to `keepalive-bench
# gate` as one argument (never word-split), under sudo for the namespaces. The gate's exit code is an output,
# not this step's failure: the summary, the artifacts and the cleanup still run, and the Verdict step fails.
set -uo pipefail
# Outside a runner there is no RUNNER_TEMP: a fresh private folder, never a predictable /tmp path (another
# user could have made it a symlink before this root step writes through it).
if [ -n "${KAB_OUT:-}" ]; then out="$KAB_OUT"
elif [ -n "${RUNNER_TEMP:-}" ]; then out="$RUNNER_TEMP/keepalive-bench"
else out="$(mktemp -d -t keepalive-bench.XXXXXX)"; fi
args=(gate --head-cmd "$KAB_HEAD_CMD" --head-dir "${KAB_HEAD_DIR:-.}" --base-dir "${KAB_BASE_DIR:-.}"
  --size "${KAB_SIZE:-ci}" --scenario "${KAB_SCENARIOS:-handshake}" --threshold "${KAB_THRESHOLD:-5%}"
  --runs "${KAB_RUNS:-1}" --link "${KAB_LINK:-auto}" --out "$out")
add() { if [ -n "$2" ]; then args+=("$1" "$2"); fi; }
add --base-cmd "${KAB_BASE_CMD:-}"
add --baseline "${KAB_BASELINE:-}"
add --server-port "${KAB_SERVER_PORT:-}"
add --path "${KAB_PATH:-}"
add --paths "${KAB_PATHS:-}"
add --protocol "${KAB_PROTOCOL:-}"
add --profile "${KAB_PROFILES:-}"
sudo_=()
if [ "$(id -u)" != 0 ]; then sudo_=(sudo -E env "PATH=$PATH"); fi
"${sudo_[@]}" node "$GITHUB_ACTION_PATH/bin/keepalive-bench.mjs" "${args[@]}"
code=$?
# What was written as root belongs to the runner's user afterwards.
if [ "$(id -u)" != 0 ]; then sudo chown -R "$(id -u):$(id -g)" "$out"; fi
verdict=error
json=""
if [ -f "$out/gate.json" ]; then
  verdict=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).verdict)' "$out/gate.json")
  json="$out/compare/compare.json"
fi
{
  echo "verdict=$verdict"
  echo "exit-code=$code"
  echo "compare-json=$json"
  echo "out=$out"
} >> "$GITHUB_OUTPUT"
if [ -f "$out/compare/compare.md" ]; then
  cat "$out/compare/compare.md" >> "$GITHUB_STEP_SUMMARY"
else
  echo "keepalive-bench: compare wrote no summary (exit $code); see the step's log" >> "$GITHUB_STEP_SUMMARY"
fi
exit 0
