#!/usr/bin/env bash
# Prepares this machine's PostgreSQL for the server-backed tests (npm run test:servers), the way the
# platform runs its stores: TLS required on the wire, password authentication (scram-sha-256).
#  - a throw-away CA and a server certificate for localhost/127.0.0.1 in $TEST_TLS_DIR (the tests start
#    their own TLS redis-server/valkey-server with the same certificate);
#  - the newest Debian PostgreSQL cluster with ssl = on and that certificate, (re)started;
#  - a role and database whose password needs URL-encoding, as the platform's random passwords may; the role
#    owns the database and may create roles (CREATEROLE), as the RDS master user does, so the bootstrap test
#    (tests-servers/bootstrap.test.ts) can create the application role with it.
# Needs root (it writes the cluster's conf.d and runs psql as postgres). Debian/Ubuntu packages:
# postgresql, redis-server (or valkey-server), openssl.
set -euo pipefail
TLS_DIR="${TEST_TLS_DIR:-/tmp/scaled-web-test-tls}"
PG_USER="${TEST_PG_USER:-app_test}"
PG_PASSWORD="${TEST_PG_PASSWORD:-p@ss/w:rd+%?&=#}"
PG_DATABASE="${TEST_PG_DATABASE:-app_test}"

mkdir -p "$TLS_DIR"
cd "$TLS_DIR"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=scaled-web test CA" -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
printf "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.crt 2>/dev/null
# A second, unrelated CA: what a client must reject.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=some other CA" -keyout other-ca.key -out other-ca.crt 2>/dev/null
chmod 0644 ca.crt server.crt other-ca.crt
chmod 0600 server.key ca.key other-ca.key
# Under sudo, the tests (and the redis-server they start) run as the calling user: give it the files.
if [ -n "${SUDO_USER:-}" ]; then chown -R "$SUDO_USER" "$TLS_DIR"; fi

version="$(ls /etc/postgresql | sort -V | tail -n 1)"
conf="/etc/postgresql/${version}/main"
install -o postgres -g postgres -m 0600 server.key "$conf/test-server.key"
install -o postgres -g postgres -m 0644 server.crt "$conf/test-server.crt"
mkdir -p "$conf/conf.d"
cat > "$conf/conf.d/scaled-web-tests.conf" <<CONF
ssl = on
ssl_cert_file = '$conf/test-server.crt'
ssl_key_file = '$conf/test-server.key'
CONF
pg_ctlcluster "$version" main restart 2>/dev/null || pg_ctlcluster "$version" main start

psql_q() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_q -c "DROP DATABASE IF EXISTS \"$PG_DATABASE\"" -c "DROP ROLE IF EXISTS \"$PG_USER\""
psql_q -v pw="$PG_PASSWORD" <<SQL
CREATE ROLE "$PG_USER" LOGIN CREATEROLE PASSWORD :'pw';
SQL
psql_q -c "CREATE DATABASE \"$PG_DATABASE\" OWNER \"$PG_USER\""
echo "PostgreSQL $version: TLS on with $TLS_DIR/server.crt (CA $TLS_DIR/ca.crt); role $PG_USER, database $PG_DATABASE"
