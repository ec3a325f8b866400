#!/usr/bin/env bash
# Prints what the slot sandbox adds to starting a program: bubblewrap with the options
# missiond uses (see crates/missiond-daemon/src/daemon/sandbox.rs) around /bin/true,
# against /bin/true alone. Median and 90th percentile of N runs (default 40).
set -euo pipefail
n=${1:-40}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/run/slot"
python3 - "$n" "$home" <<'PY'
import statistics, subprocess, sys, time
n, home = int(sys.argv[1]), sys.argv[2]
def timed(cmd):
    runs = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        runs.append((time.perf_counter() - t) * 1000)
    runs.sort()
    return statistics.median(runs), runs[int(n * 0.9)]
plain = timed(["/bin/true"])
slot = f"{home}/run/slot"
boxed = timed(["bwrap", "--dev-bind", "/", "/", "--tmpfs", home, "--ro-bind", slot, slot,
               "--unshare-pid", "--proc", "/proc", "--cap-drop", "ALL", "--chdir", "/tmp",
               "--", "/bin/true"])
print(f"/bin/true alone:          p50 {plain[0]:.2f} ms, p90 {plain[1]:.2f} ms")
print(f"/bin/true in the sandbox: p50 {boxed[0]:.2f} ms, p90 {boxed[1]:.2f} ms")
print(f"added per slot start:     p50 {boxed[0] - plain[0]:.2f} ms")
PY
