#!/usr/bin/env bash
# Lowest-direct job: the package's own dependencies at the floors pyproject.toml declares,
# the dev tools (pytest, langchain-tests, nbclient, ...) resolved normally around them.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_LINK_MODE=copy
V=.venv-floors
echo "== install, lowest direct dependencies"
rm -rf "$V"
uv venv --quiet "$V"
uv pip install --quiet --python "$V" --resolution lowest-direct -e ".[all]"
# The package's direct dependencies (every extra), pinned at what lowest-direct chose.
python3 - > "$V/names.txt" <<'PY'
import re, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
reqs = project["dependencies"] + [
    r for extra, rs in project["optional-dependencies"].items() if extra != "all" for r in rs
]
print("\n".join(sorted({re.match(r"[A-Za-z0-9._-]+", r).group(0).lower() for r in reqs})))
PY
freeze() { uv pip freeze --python "$V" --exclude-editable | tr 'A-Z_' 'a-z-' | grep -xE "($(paste -sd'|' "$V/names.txt"))==.*"; }
freeze > "$V/floors.txt"
cat "$V/floors.txt"
# langchain-tests needs httpx>=0.28.1: the dev group may move httpx; its floor is put back after.
grep -v '^httpx==' "$V/floors.txt" > "$V/floors-but-httpx.txt"
# With langchain-core 1.0.x the resolver keeps langchain/langgraph at 1.0.x, and two newer
# langgraph parts do not declare what they need: langgraph-checkpoint>=4.1 calls
# Reviver(allowed_objects=...) (langchain-core>=1.2.5), langgraph-prebuilt>=1.0.9 imports
# langgraph.runtime.ExecutionInfo (langgraph>=1.1).
printf 'langgraph-checkpoint<4.1\nlanggraph-prebuilt<1.0.9\n' > "$V/dev-compat.txt"
uv pip install --quiet --python "$V" -c "$V/floors-but-httpx.txt" -c "$V/dev-compat.txt" --group dev
uv pip install --quiet --python "$V" "$(grep '^httpx==' "$V/floors.txt")"
if ! diff <(freeze) "$V/floors.txt"; then echo "direct dependencies moved off their floors"; exit 1; fi
echo "== tests, lowest direct dependencies"
# shellcheck disable=SC2086 # .ci/run may leave out the Ray and benchmark tests (separate words)
"$V/bin/python" -m pytest ${VERTEX_OPENAI_CI_SECONDARY:-}
