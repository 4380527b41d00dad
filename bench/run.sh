#!/usr/bin/env bash
# maillab benchmarks: prints figures, asserts nothing. Run from the project folder:
#   bash bench/run.sh            # shipped scenarios + list scale 10k/100k + rewinding + web
#   bash bench/run.sh scale      # only the list scale rows (issue 18: 100k in < 2 s and < 500 MiB)
# Each list scale figure is the median of BENCH_SCALE_ROUNDS runs (default 3).
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
