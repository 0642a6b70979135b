#!/usr/bin/env bash
# `make run`: serve the embedded demo news web on loopback, run the real DAG once with
# SQLite as Airflow's database, stop the web, print a summary of the Parquet written.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.venv/bin

export AIRFLOW_HOME=${AIRFLOW_HOME:-$ROOT/.airflow}
export AIRFLOW__CORE__DAGS_FOLDER=$ROOT/dags
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__PARALLELISM=${AIRFLOW__CORE__PARALLELISM:-4}
export NEWS_DATA_URL=${NEWS_DATA_URL:-$ROOT/data}
export NEWS_FEEDS=$ROOT/.demo/feeds.yaml
export NEWS_ALLOW_PRIVATE_NETWORKS=1          # the demo web lives on 127.0.0.1
export NEWS_HOST_INTERVAL=${NEWS_HOST_INTERVAL:-0.05}

mkdir -p "$AIRFLOW_HOME" "$ROOT/.demo"
rm -f "$ROOT/.demo/ready"
echo "== migrating the Airflow database (SQLite under $AIRFLOW_HOME)"
"$BIN/airflow" db migrate >"$ROOT/.demo/migrate.log" 2>&1 || { cat "$ROOT/.demo/migrate.log"; exit 1; }

echo "== starting the demo news web on 127.0.0.1"
"$BIN/python" -m newsingest_demo serve --registry "$NEWS_FEEDS" --ready-file "$ROOT/.demo/ready" \
  --base-port "${DEMO_BASE_PORT:-18601}" \
  >"$ROOT/.demo/web.log" 2>&1 &
WEB=$!
trap 'kill "$WEB" 2>/dev/null; wait "$WEB" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -f "$ROOT/.demo/ready" ] && break; sleep 0.1; done
[ -f "$ROOT/.demo/ready" ] || { echo "demo web did not start:"; cat "$ROOT/.demo/web.log"; exit 1; }

echo "== running the DAG news_ingest (airflow dags test; log in .demo/dag.log)"
START=$(date +%s)
if ! "$BIN/airflow" dags test news_ingest >"$ROOT/.demo/dag.log" 2>&1; then
  tail -n 60 "$ROOT/.demo/dag.log"; echo "DAG run failed: see .demo/dag.log"; exit 1
fi
echo "   done in $(( $(date +%s) - START )) s"
kill "$WEB" 2>/dev/null; wait "$WEB" 2>/dev/null || true
trap - EXIT

# -- digest (news_digest is Asset-scheduled; `dags test` does not trigger it, so run it here)
DAY=$(date -u +%Y-%m-%d)
echo "== running the DAG news_digest for $DAY (log in .demo/digest.log)"
if ! "$BIN/airflow" dags test news_digest -c "{\"date\": \"$DAY\"}" >"$ROOT/.demo/digest.log" 2>&1; then
  tail -n 60 "$ROOT/.demo/digest.log"; echo "digest run failed: see .demo/digest.log"; exit 1
fi
echo "   digest page: $NEWS_DATA_URL/digest/date=$DAY/index.html (make ui serves it at /news-digest/$DAY)"
"$BIN/python" -m newsingest.summary "$NEWS_DATA_URL"
