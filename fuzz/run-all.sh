#!/bin/sh
# Run every fuzz target in turn, one process at a time, at the lowest CPU
# priority, for MINUTES each (default 12). Logs go to fuzz/logs/TARGET.log;
# a summary line per target (from libFuzzer's last status line) is printed
# at the end. Crashes are left in fuzz/artifacts/TARGET/ as usual.
# A checkout without fuzz/corpus/ starts from the corpus kept in git,
# fuzz/corpus.tar.xz (see fuzz/README.md, "The kept corpus").
#
#   fuzz/run-all.sh [MINUTES] [TARGET...]
#
# More libFuzzer options can be given in FUZZ_ARGS, e.g.
#   FUZZ_ARGS=-dict=FILE fuzz/run-all.sh 12
# FUZZ_MAX_LEN (default 4096) caps the input size: the regression inputs
# that seed each target include 100 KB ones, which would otherwise raise
# libFuzzer's cap and slow every execution down a hundredfold.
# FUZZ_RUNS=N stops each target after N executions (or MINUTES, whichever
# comes first): FUZZ_RUNS=10000000 fuzz/run-all.sh 60
# The targets are built without a sanitizer and with debug assertions
# (overflow checks) on: the code is safe Rust, where AddressSanitizer finds
# little, and it runs several times faster without it. FUZZ_BUILD_ARGS
# changes that (FUZZ_BUILD_ARGS="-s address" for AddressSanitizer).
set -u
cd "$(dirname "$0")"
minutes=${1:-12}
[ $# -gt 0 ] && shift
# Every [[bin]] of Cargo.toml unless targets are named, so a new target
# cannot be left out of the default run.
all=$(sed -n '/^\[\[bin\]\]/,/^name/s/^name = "\(.*\)"/\1/p' Cargo.toml)
targets=${*:-$all}
secs=$((minutes * 60))
export RUSTC_BOOTSTRAP=1
mkdir -p logs
# The kept corpus (minimised, every target) seeds a fresh checkout.
if [ ! -d corpus ] && [ -f corpus.tar.xz ]; then
    tar -xJf corpus.tar.xz || exit 1
fi
build_args=${FUZZ_BUILD_ARGS:--s none -a}
nice -n 19 cargo fuzz build $build_args || exit 1
status=0
for t in $targets; do
    mkdir -p "corpus/$t"
    echo "== $t: $minutes min, started $(date -u +%H:%M:%SZ)"
    nice -n 19 cargo fuzz run $build_args "$t" "corpus/$t" "regressions/$t" -- \
        -max_total_time="$secs" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -max_len="${FUZZ_MAX_LEN:-4096}" \
        -rss_limit_mb=2048 -timeout=10 ${FUZZ_ARGS:-} \
        >"logs/$t.log" 2>&1
    rc=$?
    [ $rc -ne 0 ] && status=1
    echo "   exit $rc, corpus $(ls "corpus/$t" | wc -l) files"
done
echo
echo "target | execs | exec/s | cov | ft | corpus files | result"
for t in $targets; do
    last=$(grep -E '^#[0-9]+' "logs/$t.log" | tail -n 1)
    execs=$(echo "$last" | sed -E 's/^#([0-9]+).*/\1/')
    field() { echo "$last" | sed -nE "s|.* $1: ([0-9]+).*|\\1|p"; }
    if grep -qE 'ERROR: libFuzzer|deadly signal|panicked at|==ERROR' "logs/$t.log"; then
        result="CRASH: $(grep -m1 -oE 'ERROR: libFuzzer: [a-z-]+|panicked at .*' "logs/$t.log")"
    else
        result="ok"
    fi
    echo "$t | $execs | $(field exec/s) | $(field cov) | $(field ft) | $(ls "corpus/$t" | wc -l) | $result"
done
exit $status
