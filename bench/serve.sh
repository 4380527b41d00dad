#!/usr/bin/env bash
# Serve-mode benchmarks (issue 9): `maillab serve` on loopback sockets against
# real servers. Prints figures and ratios, asserts nothing. Run from anywhere:
#
#   bash bench/serve.sh                 # everything (3-5 minutes on 2 cores)
#   bash bench/serve.sh --only smtp     # or --only readers (POP3/IMAP)
#   bash bench/serve.sh --json out.json # also keep every figure as JSON
#
# What it measures:
#   SMTP       Postfix's smtp-source -> maillab serve, Postfix's smtp-sink and
#              Python's aiosmtpd; 1 KiB and 100 KiB messages, 1 and 20 sessions,
#              a new connection per message, and 1 KiB x 20 with smtp-source -d.
#   POP3/IMAP  logins per second, a full fetch of one 100-message mailbox and
#              the headers of a 1,000-message one (cycles/s and p95),
#              maillab serve and a throwaway Dovecot (own config, own
#              Maildir, own passwd-file, loopback ports; not the system service)
#              in turn, call by call.
#
# maillab serve's live trace goes to /dev/null, so printing it does not
# dominate the figures; two extra SMTP columns show the same with the trace
# written to a file, as text and as JSON lines.
#
# Needs: cargo, python3 (with venv), smtp-source and smtp-sink (Debian: postfix),
# dovecot (Debian: dovecot-core dovecot-pop3d dovecot-imapd). It installs only
# aiosmtpd, with pip, into a venv of its own (MAILLAB_BENCH_VENV, by default
# ~/.cache/maillab-bench/venv), and says so when it does. Listens on
# 127.0.2.25 and 127.0.9.80-82, ports BENCH_PORT_BASE to BENCH_PORT_BASE+32.
#
# Knobs (environment): BENCH_ROUNDS=5  BENCH_SMALL_MSGS=5000  BENCH_BIG_MSGS=1000
#   BENCH_LOGINS=300  BENCH_FETCH_ROUNDS=20  BENCH_MAILBOX_MSGS=100  BENCH_PORT_BASE=27400
#   BENCH_MANY_MSGS=1000  BENCH_HEADER_ROUNDS=40 (the IMAP header fetch of issue 18)
#   BENCH_SMTP_ONLY=1024x20,1024x20-d (only these SMTP configurations; -d: smtp-source -d)
#   BENCH_SERVE_THREADS=N (maillab serve --threads N; default: serve's own, one fewer than the cores)
#
# At the end it prints the rows of issue 18's table as maillab / reference ratios
# from this one run.
#
# Results and how to read them: bench/RESULTS.md, "Serve mode against real servers".
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
# A relative --json FILE is relative to where the script was started.
args=()
while (($#)); do
  if [[ "$1" == "--json" && $# -ge 2 ]]; then
    case "$2" in /*) args+=("$1" "$2") ;; *) args+=("$1" "$PWD/$2") ;; esac
    shift 2
  else
    args+=("$1")
    shift
  fi
done
cd "$(dirname "$0")/.."

# --- tools -----------------------------------------------------------------
missing=()
find_tool() { # NAME: print its path (PATH, then /usr/sbin and /usr/lib/postfix)
  local p
  if p=$(command -v "$1" 2>/dev/null); then echo "$p"; return 0; fi
  for d in /usr/sbin /usr/lib/postfix /usr/libexec/postfix; do
    if [[ -x "$d/$1" ]]; then echo "$d/$1"; return 0; fi
  done
  return 1
}
cargo_bin=$(find_tool cargo) || missing+=("cargo (the Rust toolchain, https://rustup.rs)")
python=$(find_tool python3) || missing+=("python3 (apt-get install python3 python3-venv)")
smtp_source=$(find_tool smtp-source) || missing+=("smtp-source (apt-get install postfix)")
smtp_sink=$(find_tool smtp-sink) || missing+=("smtp-sink (apt-get install postfix)")
dovecot=$(find_tool dovecot) || missing+=("dovecot (apt-get install dovecot-core dovecot-pop3d dovecot-imapd)")
for part in pop3 imap; do
  if [[ -n "${dovecot:-}" && ! -x /usr/lib/dovecot/$part && ! -x /usr/libexec/dovecot/$part ]]; then
    missing+=("Dovecot's $part service (apt-get install dovecot-${part}d)")
  fi
done
if ((${#missing[@]})); then
  echo "bench/serve.sh: missing tools; install them and run again:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 2
fi

# --- build -----------------------------------------------------------------
echo "building: cargo build --release (nice -n 10)" >&2
nice -n 10 "$cargo_bin" build --release --quiet || { echo "bench/serve.sh: cargo build --release failed" >&2; exit 1; }
bin=$PWD/target/release/maillab
"$bin" check bench/serve-bench.yaml >&2

# --- aiosmtpd, in a venv of its own ------------------------------------------
venv=${MAILLAB_BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/maillab-bench/venv}
if ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  echo "installing aiosmtpd 1.4.6 with pip into the venv $venv (nothing outside it)" >&2
  "$python" -m venv "$venv" || { echo "bench/serve.sh: cannot create a venv at $venv (apt-get install python3-venv?)" >&2; exit 2; }
  "$venv/bin/pip" install --quiet aiosmtpd==1.4.6 || { echo "bench/serve.sh: pip could not install aiosmtpd into $venv" >&2; exit 2; }
fi

# --- run -------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/maillab-serve-bench.XXXXXX")
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # The helper stops every server it starts; this catches what it could not
  # (it keeps one pid file per running server, removed once that server is stopped).
  local f pid
  for f in "$tmp"/pids/*.pid; do
    [[ -e "$f" ]] || continue
    pid=$(<"$f")
    if kill -0 "$pid" 2>/dev/null; then
      echo "bench/serve.sh: stopping leftover $(basename "$f" .pid) (pid $pid)" >&2
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "versions: $("$bin" --version 2>/dev/null || echo maillab), $(rustc --version 2>/dev/null || true); dovecot $("$dovecot" --version | cut -d' ' -f1); aiosmtpd $("$venv/bin/python" -c 'import aiosmtpd; print(aiosmtpd.__version__)'); postfix $("$(find_tool postconf || echo postconf)" -h mail_version 2>/dev/null || echo '?')"
echo

# In the foreground, so that Ctrl-C reaches the helper, which then stops its servers.
status=0
"$venv/bin/python" bench/serve_bench.py --maillab "$bin" --scenario bench/serve-bench.yaml --tmp "$tmp" \
  --smtp-source "$smtp_source" --smtp-sink "$smtp_sink" --dovecot "$dovecot" ${args[@]+"${args[@]}"} || status=$?
exit "$status"
