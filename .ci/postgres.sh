# Sourced by .ci/run: installs Debian's PostgreSQL when missing, starts a throw-away cluster on
# 127.0.0.1 as the unprivileged postgres user, and exports FENLEI_TEST_PG_URL for the tests.
# The cluster is stopped and deleted when the calling shell exits.

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

pg_user=$(id -un)
if [ "$(id -u)" = 0 ]; then
  pg_user=postgres # PostgreSQL refuses to run as root
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }

pg_dir=$(mktemp -d /tmp/fenlei-pg.XXXXXX)
chown "$pg_user" "$pg_dir"
pg_port=$(( 20000 + RANDOM % 20000 ))
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U fenlei -A trust -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 \
  || { cat "$pg_dir/initdb.log"; exit 1; }
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off -c max_connections=200" start >/dev/null \
  || { cat "$pg_dir/server.log"; exit 1; }
stop_pg() { as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap stop_pg EXIT
export FENLEI_TEST_PG_URL="postgres://fenlei@127.0.0.1:$pg_port/postgres?sslmode=disable"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port"
