#!/usr/bin/env bash
# Entry point with the behaviour of the official postgres image's docker-entrypoint.sh:
# POSTGRES_* variables (each also as *_FILE), initdb on an empty PGDATA with scram-sha-256 for host
# connections, /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz on first start, then postgres as
# the postgres user with the arguments given.
set -Eeuo pipefail

# VAR or VAR_FILE (read while still root, so secret files may be root-only), never both.
file_env() {
	local var="$1" file_var="${1}_FILE" default="${2:-}" value
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		echo >&2 "error: both $var and $file_var are set (but are exclusive)"
		exit 1
	fi
	value="$default"
	if [ -n "${!var:-}" ]; then
		value="${!var}"
	elif [ -n "${!file_var:-}" ]; then
		value="$(<"${!file_var}")"
	fi
	export "$var"="$value"
	unset "$file_var"
}

setup_env() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
	export POSTGRES_HOST_AUTH_METHOD
}

prepare_directories() {
	mkdir -p "$PGDATA" /var/run/postgresql
	chmod 00700 "$PGDATA" 2>/dev/null || :
	chmod 03775 /var/run/postgresql 2>/dev/null || :
	if [ "$(id -u)" = 0 ]; then
		find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
	fi
}

require_password() {
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		cat >&2 <<-'EOM'
			Error: Database is uninitialized and superuser password is not specified.
			       Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value for the
			       superuser, or POSTGRES_HOST_AUTH_METHOD=trust to allow connections without one.
		EOM
		exit 1
	fi
}

init_database_dir() {
	local -a extra_args=()
	read -r -a extra_args <<<"$POSTGRES_INITDB_ARGS"
	initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") "${extra_args[@]}"
	printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
}

psql_init() {
	psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

run_init_files() {
	local f
	shopt -s nullglob
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh)
			echo "$0: running $f"
			if [ -x "$f" ]; then "$f"; else
				# shellcheck disable=SC1090
				. "$f"
			fi
			;;
		*.sql) echo "$0: running $f" && psql_init --dbname "$POSTGRES_DB" -f "$f" ;;
		*.sql.gz) echo "$0: running $f" && gunzip -c "$f" | psql_init --dbname "$POSTGRES_DB" ;;
		*) echo "$0: ignoring $f" ;;
		esac
	done
}

first_start() {
	require_password
	init_database_dir
	# Local socket only while the init scripts run, as the official image does.
	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
	if [ "$POSTGRES_DB" != postgres ]; then
		psql_init --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
	fi
	PGPASSWORD="$POSTGRES_PASSWORD" PGUSER="$POSTGRES_USER" PGDATABASE="$POSTGRES_DB" run_init_files
	pg_ctl -D "$PGDATA" -m fast -w stop
	echo "PostgreSQL init process complete; ready for start up."
}

if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" = postgres ]; then
	setup_env
	prepare_directories
	if [ "$(id -u)" = 0 ]; then
		exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
	fi
	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		first_start
	fi
fi

exec "$@"
