#!/usr/bin/env bash
# Records the Claude Code fixtures of crates/semantic-terminal/tests/fixtures/ from the
# real Claude Code (e2e/node_modules/.bin/claude, or $MISSIOND_CLAUDE_BIN) driven by the
# scripted model server mock-anthropic. Re-run it after upgrading Claude Code, then
# relabel (see docs/recording.md).
#
#   scripts/record-fixtures.sh            # every session, at 120x40 and 80x24
#   scripts/record-fixtures.sh tools      # only the sessions named
#   FIXTURE_SIZES=80x24 scripts/record-fixtures.sh tools   # only some sizes
#
# A session is scripts/fixtures/SCENARIO.yaml (the model's answers) plus
# scripts/fixtures/SESSION.steps.jsonl (the keystrokes; `missiond record --input`).
# In both, @WORK@ stands for the session's working folder. Optional per session:
# SESSION.env (KEY=VALUE lines added to Claude Code's environment) and SESSION.args (extra
# arguments, one a line); in those @FIXTURES@ stands for scripts/fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fixtures_in=$root/scripts/fixtures
fixtures_out=$root/crates/semantic-terminal/tests/fixtures
claude=${MISSIOND_CLAUDE_BIN:-$root/e2e/node_modules/.bin/claude}
# A fixed place, so paths on screen are the same on every machine and every run.
scratch=/tmp/missiond-fixtures

# session          scenario         permission-mode  session-id                          folder trusted
sessions=(
  "basic             basic            manual       5e55a001-0000-4000-8000-000000000001 yes"
  "tools             tools            manual       5e55a001-0000-4000-8000-000000000002 yes"
  "file_write        file_write       manual       5e55a001-0000-4000-8000-000000000003 yes"
  "file_write_accept file_write       acceptEdits  5e55a001-0000-4000-8000-000000000004 yes"
  "interrupt_error   interrupt_error  manual       5e55a001-0000-4000-8000-000000000005 yes"
  "folder_trust      folder_trust     manual       5e55a001-0000-4000-8000-000000000006 no"
  "dialogs           dialogs          manual       5e55a001-0000-4000-8000-000000000007 yes"
  "plan              plan             plan         5e55a001-0000-4000-8000-000000000009 yes"
  "agents            agents           manual       5e55a001-0000-4000-8000-000000000008 yes"
  "shell             shell            manual       5e55a001-0000-4000-8000-00000000000a yes"
  "mcp               mcp              manual       5e55a001-0000-4000-8000-00000000000b yes"
  "pickers           pickers          manual       5e55a001-0000-4000-8000-00000000000c yes"
  "busy              busy             manual       5e55a001-0000-4000-8000-00000000000d yes"
  "exit_ctrlc        exit             manual       5e55a001-0000-4000-8000-00000000000e yes"
  "exit_slash        exit             manual       5e55a001-0000-4000-8000-00000000000f yes"
  "text              text             manual       5e55a001-0000-4000-8000-000000000010 yes"
  "autocompact       autocompact      manual       5e55a001-0000-4000-8000-000000000011 yes"
)
read -r -a sizes <<<"${FIXTURE_SIZES:-120x40 80x24}"
# The fake key mock-anthropic's offline module uses; Claude Code only checks it locally.
api_key=sk-ant-api03-mockanthropicOFFLINEkey000000000000000000000000000000000000000000000000000000000000000-mockAA

[[ -x $claude ]] || { echo "no Claude Code at $claude (run npm ci in e2e/)" >&2; exit 1; }
echo "Claude Code: $("$claude" --version)"
missiond=$root/target/debug/missiond
mock=$root/target/debug/mock-anthropic
if ! cargo build -q -p missiond-daemon -p mock-anthropic 2>"$scratch.build.log"; then
  cat "$scratch.build.log" >&2
  [[ -x $missiond && -x $mock ]] || exit 1
  echo "warning: the build failed; recording with the binaries already built" >&2
fi
mkdir -p "$fixtures_out"

mock_pid=
stop_mock() {
  if [[ -n $mock_pid ]]; then
    kill "$mock_pid" 2>/dev/null || true
    wait "$mock_pid" 2>/dev/null || true
    mock_pid=
  fi
}
trap stop_mock EXIT

# record SESSION SCENARIO MODE SESSION_ID TRUSTED COLS ROWS
record() {
  local session=$1 scenario=$2 mode=$3 id=$4 trusted=$5 cols=$6 rows=$7
  local name=${session}_${cols}x${rows}
  local dir=$scratch/$name
  rm -rf "$dir"
  mkdir -p "$dir/home" "$dir/work"
  local work=$dir/work
  sed "s|@WORK@|$work|g" "$fixtures_in/$scenario.yaml" >"$dir/scenario.yaml"
  sed "s|@WORK@|$work|g" "$fixtures_in/$session.steps.jsonl" >"$dir/steps.jsonl"
  local -a extra_env=() extra_args=()
  if [[ -f $fixtures_in/$session.env ]]; then
    mapfile -t extra_env < <(grep -v '^#' "$fixtures_in/$session.env" | grep . |
      sed -e "s|@WORK@|$work|g" -e "s|@FIXTURES@|$fixtures_in|g")
  fi
  if [[ -f $fixtures_in/$session.args ]]; then
    mapfile -t extra_args < <(grep -v '^#' "$fixtures_in/$session.args" | grep . |
      sed -e "s|@WORK@|$work|g" -e "s|@FIXTURES@|$fixtures_in|g")
  fi
  local projects="{\"$work\": {\"hasTrustDialogAccepted\": true, \"allowedTools\": []}}"
  [[ $trusted == yes ]] || projects="{}"
  cat >"$dir/home/.claude.json" <<EOF
{"hasCompletedOnboarding": true, "theme": "dark",
 "customApiKeyResponses": {"approved": ["${api_key: -20}"], "rejected": []},
 "projects": $projects}
EOF

  "$mock" --scenario "$dir/scenario.yaml" --log "$dir/requests.jsonl" \
    >"$dir/mock.out" 2>"$dir/mock.err" &
  mock_pid=$!
  local url=
  for _ in $(seq 100); do
    url=$(sed -n 's/^listening on //p' "$dir/mock.out")
    [[ -n $url ]] && break
    sleep 0.1
  done
  [[ -n $url ]] || { echo "mock-anthropic did not start:" >&2; cat "$dir/mock.err" >&2; exit 1; }

  echo "== $name ($mode) against $url"
  local status=0
  (cd "$work" && env -i \
    PATH="/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 SHELL=/bin/bash USER="${USER:-user}" \
    HOME="$dir/home" \
    ANTHROPIC_BASE_URL="$url" ANTHROPIC_API_KEY="$api_key" \
    DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1 CLAUDE_CODE_MAX_RETRIES=0 \
    NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
    "${extra_env[@]}" \
    "$missiond" record --cols "$cols" --rows "$rows" \
      --out "$fixtures_out/$name.jsonl" --input "$dir/steps.jsonl" -- \
      "$claude" --permission-mode "$mode" --session-id "$id" "${extra_args[@]}") \
    2> >(tee "$dir/record.log" >&2) || status=$?
  stop_mock
  if [[ $status -ne 0 ]]; then
    echo "!! $name failed (exit $status); log in $dir" >&2
    return 1
  fi
  echo "   $(wc -c <"$fixtures_out/$name.jsonl") bytes -> $fixtures_out/$name.jsonl"
}

wanted=("$@")
failed=0
for line in "${sessions[@]}"; do
  read -r session scenario mode id trusted <<<"$line"
  if [[ ${#wanted[@]} -gt 0 && ! " ${wanted[*]} " =~ " $session " ]]; then
    continue
  fi
  for size in "${sizes[@]}"; do
    record "$session" "$scenario" "$mode" "$id" "$trusted" "${size%x*}" "${size#*x}" || failed=1
  done
done
du -ch "$fixtures_out"/*.jsonl 2>/dev/null | tail -1
exit $failed
