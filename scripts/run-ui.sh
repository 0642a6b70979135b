#!/usr/bin/env bash
# `make ui`: the demo news web and Airflow (api-server, scheduler, dag-processor; SQLite,
# LocalExecutor) on loopback. Prints the URL and the login; Ctrl-C stops everything.
# news_ingest starts unpaused and runs on its schedule (trigger it in the UI for a run
# now); news_digest follows on the news_articles Asset. Logs land in ./.demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
PORT=${UI_PORT:-8080}

export AIRFLOW_HOME=${AIRFLOW_HOME:-$ROOT/.airflow}
export AIRFLOW__CORE__DAGS_FOLDER=$ROOT/dags
export AIRFLOW__CORE__PLUGINS_FOLDER=$ROOT/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__PARALLELISM=${AIRFLOW__CORE__PARALLELISM:-4}
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT=$PORT
export AIRFLOW__API__BASE_URL=http://127.0.0.1:$PORT
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$PORT/execution/
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=${UI_USER:-admin}:admin
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=$AIRFLOW_HOME/ui_passwords.json
export NEWS_DATA_URL=${NEWS_DATA_URL:-$ROOT/data}
export NEWS_FEEDS=$ROOT/.demo/feeds.yaml
export NEWS_ALLOW_PRIVATE_NETWORKS=1          # the demo web lives on 127.0.0.1
export NEWS_HOST_INTERVAL=${NEWS_HOST_INTERVAL:-0.05}

mkdir -p "$AIRFLOW_HOME" "$ROOT/.demo"
# One JWT secret shared by the three processes, kept so that logins survive a restart.
[ -s "$AIRFLOW_HOME/ui_jwt_secret" ] || (umask 077; "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$AIRFLOW_HOME/ui_jwt_secret")
export AIRFLOW__API_AUTH__JWT_SECRET=$(cat "$AIRFLOW_HOME/ui_jwt_secret")

echo "== migrating the Airflow database (SQLite under $AIRFLOW_HOME)"
"$BIN/airflow" db migrate >"$ROOT/.demo/migrate.log" 2>&1 || { cat "$ROOT/.demo/migrate.log"; exit 1; }

# Each component runs in its own session (setsid), so that stopping it stops its task
# processes too: SIGTERM to every group, SIGKILL to what is left after 20 s.
PIDS=()
stop() {
  trap - INT TERM EXIT
  echo; echo "== stopping"
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 40); do
    alive=0
    for pid in "${PIDS[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "   stopped"
  exit 0
}
trap stop INT TERM EXIT

rm -f "$ROOT/.demo/ready"
setsid "$BIN/python" -m newsingest_demo serve --registry "$NEWS_FEEDS" --ready-file "$ROOT/.demo/ready" \
  --base-port "${DEMO_BASE_PORT:-18601}" >"$ROOT/.demo/web.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -f "$ROOT/.demo/ready" ] && break; sleep 0.1; done
[ -f "$ROOT/.demo/ready" ] || { echo "demo web did not start:"; cat "$ROOT/.demo/web.log"; exit 1; }

echo "== starting Airflow: api-server, scheduler, dag-processor (logs in .demo/)"
setsid "$BIN/airflow" dag-processor >"$ROOT/.demo/dag-processor.log" 2>&1 &
PIDS+=($!)
setsid "$BIN/airflow" scheduler --skip-serve-logs >"$ROOT/.demo/scheduler.log" 2>&1 &
PIDS+=($!)
setsid "$BIN/airflow" api-server --host 127.0.0.1 --port "$PORT" >"$ROOT/.demo/api-server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 480); do
  curl -fsS "http://127.0.0.1:$PORT/api/v2/monitor/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$PORT/api/v2/monitor/health" >/dev/null 2>&1 \
  || { tail -n 40 "$ROOT/.demo/api-server.log"; echo "api-server did not become healthy"; exit 1; }

PASSWORD=$("$BIN/python" -c 'import json, sys; print(next(iter(json.load(open(sys.argv[1])).values())))' \
  "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
cat <<MSG

  Airflow UI    http://127.0.0.1:$PORT/
  login         ${UI_USER:-admin} / $PASSWORD
  feed health   http://127.0.0.1:$PORT/feed-health/
  digest        http://127.0.0.1:$PORT/news-digest/
  data          $NEWS_DATA_URL

  news_ingest polls the demo web on its schedule: trigger it in the UI to run it now;
  news_digest runs after every run that published stories. Ctrl-C stops everything.
MSG
wait -n "${PIDS[@]}" || true
echo "a process exited: see .demo/*.log"
exit 1
