#!/usr/bin/env bash
# maillab benchmarks: prints figures, asserts nothing. Run from the project folder:
#   bash bench/run.sh            # shipped scenarios + list scale 10k/100k + rewinding + web
#   bash bench/run.sh scale      # only the list scale rows (issue 18: 100k in < 2 s and < 500 MiB)
#   bash bench/run.sh instructions  # instructions counted by callgrind (needs valgrind, smtp-source)
# Each list scale figure is the median of BENCH_SCALE_ROUNDS runs (default 3).
# Instruction counts do not depend on what else the machine does, so they
# compare two builds where wall and CPU times (which vary by a tenth or more
# between runs of one binary on a small VM) cannot.
# Results and how to read them: bench/RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/maillab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() { # prints "seconds peak-KB" for a maillab run (JSON lines; "text": the text trace)
  if [[ "${2:-json}" == text ]]; then
    /usr/bin/time -f "%e %M" "$bin" run "$1" 2>&1 >/dev/null | tail -1
  else
    /usr/bin/time -f "%e %M" "$bin" run "$1" --format json 2>&1 >/dev/null | tail -1
  fi
}

only=${1:-all}

# Instructions (callgrind) of: serve taking 2,000 messages of 1 KiB from
# smtp-source in 4 sessions (-d: one connection each; new: one a message),
# with --threads 1 and its live trace to /dev/null; and one post to a list
# (role list) of 10,000 members, --format json. Start-up is included (about
# 1 M of serve's count).
instructions() {
  command -v valgrind >/dev/null || { echo "bench/run.sh instructions: needs valgrind (Debian: apt-get install valgrind)" >&2; exit 1; }
  local src
  src=$(command -v smtp-source || true)
  for c in /usr/sbin/smtp-source /usr/lib/postfix/smtp-source; do [[ -n "$src" || ! -x "$c" ]] || src=$c; done
  [[ -n "$src" ]] || { echo "bench/run.sh instructions: needs Postfix's smtp-source (Debian: apt-get install postfix)" >&2; exit 1; }
  local msgs=2000 mode pid addr i
  echo "== instructions (callgrind): serve, $msgs messages of 1 KiB from smtp-source, 4 sessions, --threads 1"
  for mode in -d new; do
    rm -f "$tmp/ready.json"
    valgrind --tool=callgrind --callgrind-out-file="$tmp/serve$mode.cg" "$bin" serve bench/serve-bench.yaml \
      --threads 1 --ready-file "$tmp/ready.json" --port smtp=0 --port pop3=0 --port imap=0 --port http=0 \
      >/dev/null 2>"$tmp/serve.err" &
    pid=$!
    for ((i = 0; i < 600; i++)); do [[ -s "$tmp/ready.json" ]] && break; sleep 0.1; done
    [[ -s "$tmp/ready.json" ]] || { echo "serve did not start under valgrind:" >&2; cat "$tmp/serve.err" >&2; exit 1; }
    addr=$(python3 -c 'import json, sys
e = [x for x in json.load(open(sys.argv[1]))["endpoints"] if x["service"] == "smtp"][0]
print("%s:%d" % (e["address"], e["port"]))' "$tmp/ready.json")
    "$src" $([[ "$mode" == -d ]] && echo -d) -s 4 -m "$msgs" -l 1024 -M client.bench.example \
      -f bench@client.bench.example -t sink@bench.example "$addr"
    sleep 0.5
    kill -INT "$pid"
    wait "$pid" || true
    callgrind_annotate "$tmp/serve$mode.cg" 2>/dev/null | awk -v m="$mode" -v n="$msgs" '/PROGRAM TOTALS/ {
      gsub(",", "", $1); printf "serve %-3s %8.1f M instructions, %5.1fk a message\n", m, $1 / 1e6, $1 / n / 1e3 }'
  done
  python3 bench/scale.py 10000 1000 list > "$tmp/list-10000.yaml"
  valgrind --tool=callgrind --callgrind-out-file="$tmp/list.cg" "$bin" run "$tmp/list-10000.yaml" --format json \
    >/dev/null 2>"$tmp/list.err"
  callgrind_annotate "$tmp/list.cg" 2>/dev/null | awk '/PROGRAM TOTALS/ {
    gsub(",", "", $1); printf "list post to 10,000 members (--format json) %8.1f M instructions\n", $1 / 1e6 }'
}

if [[ "$only" == instructions ]]; then
  instructions
  exit 0
fi
if [[ "$only" == all ]]; then
  echo "== every shipped scenario (wall seconds, peak RSS KB)"
  for f in scenarios/*.yaml; do
    printf '%-34s %s\n' "$f" "$(measure "$f")"
  done
  echo
fi

# The median run of several (by wall time): "seconds peak-KB".
median_of() { # FILE [text]
  local rounds=${BENCH_SCALE_ROUNDS:-3} i
  for ((i = 0; i < rounds; i++)); do measure "$@"; done | sort -n | awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}'
}

# One post to N members over 1000 domains, N = 10k and 100k; the goal of issue 18 for 100k.
scale() { # MODE LABEL
  declare -A secs kbs
  for n in 10000 100000; do
    python3 bench/scale.py "$n" 1000 "$1" > "$tmp/$1-$n.yaml"
    read -r s kb < <(median_of "$tmp/$1-$n.yaml")
    secs[$n]=$s
    kbs[$n]=$kb
    printf 'N=%-7s wall %6ss  peak %8s KB  (median of %s)\n' "$n" "$s" "$kb" "${BENCH_SCALE_ROUNDS:-3}"
  done
  read -r ts tkb < <(median_of "$tmp/$1-100000.yaml" text)
  printf 'N=%-7s wall %6ss  peak %8s KB  (text trace, without --format json)\n' 100000 "$ts" "$tkb"
  python3 -c "
s10, s100, kb = ${secs[10000]}, ${secs[100000]}, ${kbs[100000]}
print('ratio 100k/10k wall time: %.1f (linear would be 10; goal <= 11)' % (s100 / max(s10, 0.001)))
print('issue 18 row, $2 of 100,000: %.2f s (goal < 2 s: %.2fx of it), %.0f MiB peak (goal < 500 MiB: %.2fx of it)'
      % (s100, s100 / 2, kb / 1024, kb / 1024 / 500))"
}

echo "== list scale: one post to an alias of N members over 1000 domains"
scale alias "alias"
echo
echo "== list server scale: one post to a list (role list) of N members over 1000 domains"
scale list "list server"
[[ "$only" == all ]] || exit 0

echo
echo "== rewinding the lab bench: rebuild the state at 50 points of each run (fresh Lab, run to the event, snapshot)"
cargo run --release --quiet --example rewind
python3 bench/scale.py 10000 1000 list > "$tmp/list-10000.yaml"
cargo run --release --quiet --example rewind -- "$tmp/list-10000.yaml"

echo
echo "== the browser lab: first paint, steps forward and back, jumps (bench/web.rs)"
cargo run --release --quiet --example web
cargo run --release --quiet --example web -- "$tmp/list-10000.yaml"
