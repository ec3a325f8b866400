#!/usr/bin/env bash
# `missiond usage` against ccusage 20.0.24 on a generated history with a known ground truth.
#   scripts/bench-usage.sh [SIZE] [FILES]      (default 1200M 2000: about 1 GB on disk; release build)
# Prints, for daily and session reports: wall time and peak memory of ccusage, of missiond's
# first run (empty index) and of its repeated runs (from the index), and how far each
# report is from the ground truth. The history lives in a temporary folder, removed on exit.
# CCUSAGE=/path/to/ccusage uses an installed binary; otherwise ccusage@20.0.24 is installed
# with npm into the temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1200M}
files=${2:-2000}
cargo build --quiet --release --bin missiond
cargo build --quiet --release -p missiond-core --example gen_history
bin=$PWD/target/release/missiond
gen=$PWD/target/release/examples/gen_history
work=$(mktemp -d -t usage-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [[ -z "${CCUSAGE:-}" ]]; then
  npm install --silent --no-save --prefix "$work/npm" ccusage@20.0.24 >/dev/null
  CCUSAGE=$work/npm/node_modules/.bin/ccusage
fi
echo "generating $size in about $files files..."
"$gen" "$work/home/.claude" --seed 42 --size "$size" --files "$files" --truth "$work/truth.json"
du -sh "$work/home/.claude" | sed 's/^/history: /'
export HOME=$work/home MISSIOND_HOME=$work/missiond TZ=UTC
unset CLAUDE_CONFIG_DIR XDG_CONFIG_HOME
# Warm the page cache once for everyone (the figures compare parsing, not the disk).
cat "$work"/home/.claude/projects/*/*.jsonl >/dev/null

# run LABEL OUTFILE CMD...: prints "LABEL: S s, RSS KiB"
run() {
  local label=$1 out=$2
  shift 2
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$@" >"$out"
  t1=$(date +%s.%N)
  printf '%-34s %6.3f s  %7d KiB\n' "$label" "$(echo "$t1 - $t0" | bc)" "$(cat "$work/rss")"
}

for report in daily session; do
  echo "== $report =="
  for i in 1 2 3; do
    run "ccusage $report --json --offline" "$work/cc-$report.json" "$CCUSAGE" "$report" --json --offline
  done
  for i in 1 2 3; do
    rm -rf "$MISSIOND_HOME"
    run "missiond usage $report (first run)" "$work/md-$report.json" "$bin" usage "$report" --json
  done
  for i in 1 2 3 4 5; do
    run "missiond usage $report (repeat)" "$work/md-$report.json" "$bin" usage "$report" --json
  done
  python3 - "$work/truth.json" "$work/md-$report.json" "$work/cc-$report.json" "$report" <<'PY'
import json, sys
truth = json.load(open(sys.argv[1]))[sys.argv[4]]
def flat(report):
    out = {}
    for row in report[sys.argv[4]]:
        for b in row["modelBreakdowns"]:
            out[(row["period"], b["modelName"])] = tuple(b[k] for k in ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens"))
    return out
want = {(p, m): tuple(t[k] for k in ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens"))
        for p, models in truth.items() for m, t in models.items()}
total = sum(sum(v) for v in want.values())
for name, path in (("missiond", sys.argv[2]), ("ccusage", sys.argv[3])):
    got = flat(json.load(open(path)))
    rows_equal = sum(1 for k in want if got.get(k) == want[k])
    got_total = sum(sum(v) for v in got.values())
    print(f"{name:9} rows equal to the ground truth: {rows_equal}/{len(want)} (extra rows {len(set(got) - set(want))}), "
          f"total tokens {got_total} vs {total} ({100.0 * (got_total - total) / total:+.1f} %)")
PY
done
