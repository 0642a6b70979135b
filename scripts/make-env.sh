#!/usr/bin/env bash
# Print a fresh .env for docker-compose.yml with newly generated secrets:
#   scripts/make-env.sh > .env && chmod 600 .env
set -euo pipefail
py() { python3 -c "$1"; }
cat <<ENV
AIRFLOW_UID=$(id -u)
POSTGRES_PASSWORD=$(py 'import secrets; print(secrets.token_urlsafe(24))')
REDIS_PASSWORD=$(py 'import secrets; print(secrets.token_urlsafe(24))')
AIRFLOW_FERNET_KEY=$(py 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')
AIRFLOW_JWT_SECRET=$(py 'import secrets; print(secrets.token_urlsafe(64))')
AIRFLOW_API_SECRET_KEY=$(py 'import secrets; print(secrets.token_urlsafe(32))')
AIRFLOW_ADMIN_USER=admin
AIRFLOW_ADMIN_PASSWORD=$(py 'import secrets; print(secrets.token_urlsafe(16))')
# Any NEWS_* setting (README, "Configuration") can be added below. Workers on several
# hosts need object storage, e.g.:
# NEWS_DATA_URL=s3://bucket/news
# NEWS_STORAGE_OPTIONS={"endpoint_url": "https://s3.example.org", "key": "...", "secret": "..."}
ENV
