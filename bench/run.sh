#!/usr/bin/env bash
# maillab benchmarks: prints figures, asserts nothing. Run from the project folder:
#   bash bench/run.sh            # shipped scenarios + list scale 10k/100k + rewinding
# Results and how to read them: bench/RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/maillab
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() { # prints "seconds peak-KB" for a maillab run
  /usr/bin/time -f "%e %M" "$bin" run "$1" --format json 2>&1 >/dev/null | tail -1
}

echo "== every shipped scenario (wall seconds, peak RSS KB)"
for f in scenarios/*.yaml; do
  printf '%-34s %s\n' "$f" "$(measure "$f")"
done

echo
echo "== list scale: one post to an alias of N members over 1000 domains"
declare -A secs
for n in 10000 100000; do
  python3 bench/scale.py "$n" 1000 > "$tmp/scale-$n.yaml"
  read -r s kb < <(measure "$tmp/scale-$n.yaml")
  secs[$n]=$s
  printf 'N=%-7s wall %6ss  peak %8s KB\n' "$n" "$s" "$kb"
done
python3 -c "print('ratio 100k/10k wall time: %.1f (linear would be 10)' % (${secs[100000]} / max(${secs[10000]}, 0.001)))"

echo
echo "== list server scale: one post to a list (role list) of N members over 1000 domains"
for n in 10000 100000; do
  python3 bench/scale.py "$n" 1000 list > "$tmp/list-$n.yaml"
  read -r s kb < <(measure "$tmp/list-$n.yaml")
  secs[$n]=$s
  printf 'N=%-7s wall %6ss  peak %8s KB\n' "$n" "$s" "$kb"
done
python3 -c "print('ratio 100k/10k wall time: %.1f (linear would be 10)' % (${secs[100000]} / max(${secs[10000]}, 0.001)))"

echo
echo "== rewinding the lab bench: rebuild the state at 50 points of each run (fresh Lab, run to the event, snapshot)"
cargo run --release --quiet --example rewind
python3 bench/scale.py 10000 1000 list > "$tmp/list-10000.yaml"
cargo run --release --quiet --example rewind -- "$tmp/list-10000.yaml"

echo
echo "== the browser lab: first paint, steps forward and back, jumps (bench/web.rs)"
cargo run --release --quiet --example web
cargo run --release --quiet --example web -- "$tmp/list-10000.yaml"
