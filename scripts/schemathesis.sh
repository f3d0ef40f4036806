#!/usr/bin/env bash
# Tests the JSON API against its own OpenAPI document with Schemathesis: it derives valid and
# invalid requests from the document (and follows its links from one answer to the next) and
# checks every answer against it. Starts the debug server on a free port with a fresh data
# directory, makes an administrator, a token without a rate limit and a little data, and fails
# on any server error, any answer the document does not describe, any valid request refused and
# any invalid one taken. Every check is on; nothing is excluded.
#
#   cargo build --workspace --bins && scripts/schemathesis.sh
#   SCHEMATHESIS_EXAMPLES=500 SCHEMATHESIS_SEED=7 scripts/schemathesis.sh   # longer, elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin="${SPREEKUUR_BIN:-$root/target/debug/spreekuur}"
examples="${SCHEMATHESIS_EXAMPLES:-100}"
# A fixed seed: the same cases on every run, so a failure here is one to fix, not noise.
seed="${SCHEMATHESIS_SEED:-1}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Schemathesis 4 (its command line is the one used below): the one Python has, else our own
# virtual environment in target/ (Debian's own Python refuses `pip install` outside one).
python=python3
if ! command -v python3 >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
fi
has_schemathesis() {
  "$1" -c 'import importlib.metadata as m, sys; sys.exit(not m.version("schemathesis").startswith("4."))' 2>/dev/null
}
if ! has_schemathesis python3; then
  venv="$root/target/schemathesis-venv"
  if ! has_schemathesis "$venv/bin/python"; then
    echo "installing schemathesis 4 (PyPI) into $venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
      python3 -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install --quiet 'schemathesis>=4.32,<5'
  fi
  python="$venv/bin/python"
fi

data=$(mktemp -d "${TMPDIR:-/tmp}/spreekuur-schemathesis-XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -z "${KEEP_SCHEMATHESIS_DATA:-}" ]; then rm -rf "$data"; else echo "kept: $data"; fi
}
trap cleanup EXIT

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
export SPREEKUUR_DATA_DIR="$data"
export SPREEKUUR_LISTEN="127.0.0.1:$port"
export SPREEKUUR_PUBLIC_URL="http://127.0.0.1:$port"
export SPREEKUUR_SMTP_URL=""
export SPREEKUUR_LOG_LEVEL="${SPREEKUUR_LOG_LEVEL:-warn}"

# An administrator of a new practice, and a token for it with no rate limit (Schemathesis sends
# hundreds of requests a minute; the limit itself is tested in e2e/tests/api-admin.test.mjs).
"$bin" admin create-staff --email st@schemathesis.test --name "Sam Test" --role admin \
  --practice-name "Praktijk Schemathesis" --practice-email praktijk@schemathesis.test >/dev/null
token=$("$bin" admin create-token --login st@schemathesis.test --name schemathesis --rate-per-minute 0)

"$bin" serve >"$data/server.out" 2>"$data/server.err" &
server_pid=$!

# Once the server answers: something that exists, so that the operations on ids reach more
# than "not found": a colleague, a conversation and a group with them, a message and a file.
# Schemathesis finds their ids by following the document's links from the lists.
SPREEKUUR_TOKEN="$token" SERVER_PID="$server_pid" "$python" - "http://127.0.0.1:$port/api/v1" <<'PY'
import json, os, sys, time, urllib.request

base = sys.argv[1]
for _ in range(600):
    try:
        urllib.request.urlopen(base.replace("/api/v1", "/readyz"), timeout=2)
        break
    except OSError:
        os.kill(int(os.environ["SERVER_PID"]), 0)  # raises when the server has exited
        time.sleep(0.1)

def api(path, body, content_type="application/json", headers=None):
    data = json.dumps(body).encode() if content_type == "application/json" else body
    request = urllib.request.Request(base + path, data=data, method="POST", headers={
        "Authorization": "Bearer " + os.environ["SPREEKUUR_TOKEN"],
        "Content-Type": content_type, **(headers or {})})
    with urllib.request.urlopen(request, timeout=20) as r:
        return json.load(r)

bo = api("/accounts", {"role": "provider", "first_name": "Bo", "last_name": "Collega",
                       "email": "bo@schemathesis.test"})["account"]
conversation = api("/conversations", {"member": bo})["id"]
api("/groups", {"name": "Overleg", "members": [bo]})
api(f"/conversations/{conversation}/messages", {"body": "Goedemorgen"})
api(f"/conversations/{conversation}/files", b"Een notitie", "text/plain",
    {"X-File-Name": "notitie.txt"})
PY

# One worker: with several, Python 3.11's `ast.parse` (Hypothesis calls it to describe its
# strategies) fails now and then with "AST constructor recursion depth mismatch", a CPython bug
# with threads (fixed in later releases), which Schemathesis reports as an error of the run.
# Stateful testing follows the document's links up to 30 calls deep (the default is 6, too few
# to go from a new account to a conversation, its messages and its files).
printf '[phases.stateful]\nmax-steps = 30\n' >"$data/schemathesis.toml"
status=0
(cd "$data" && "$python" -m schemathesis.cli --config-file "$data/schemathesis.toml" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --checks all \
  --header "Authorization: Bearer $token" \
  --max-examples "$examples" \
  --seed "$seed" \
  --generation-database none \
  --workers 1 \
  --request-timeout 20 \
  --no-color) \
  || status=$?

# A request that made the server log an error fails the run too, whatever it answered.
if grep -E '^\S+ +ERROR ' "$data/server.err" >&2; then
  echo "the server logged errors during the run (above)" >&2
  status=1
fi
exit "$status"
