#!/bin/sh
# Entry point with the behaviour of the official redis image's docker-entrypoint.sh: options or a
# *.conf as first argument mean redis-server, root drops to the redis user, umask 0077.
set -eu

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

# The official image compiles protected mode off (the container boundary does that job); Debian's
# binary has it on, so turn it off unless the config file decides.
if [ "$1" = redis-server ]; then
	shift
	config=""
	case "${1:-}" in
	'' | -*) ;;
	*) config="$1" && shift ;;
	esac
	if [ -n "$config" ] && grep -qsE '^[[:space:]]*protected-mode[[:space:]]' "$config"; then
		set -- redis-server "$config" "$@"
	elif [ -n "$config" ]; then
		set -- redis-server "$config" --protected-mode no "$@"
	else
		set -- redis-server --protected-mode no "$@"
	fi
fi

if [ "$(umask)" = 0022 ]; then
	umask 0077
fi

exec "$@"
