#!/usr/bin/env bash
# Brings up what mallbots needs on a Debian 12 development or CI machine:
# PostgreSQL on 127.0.0.1:5432 reachable with the default DSN
# postgres://postgres@127.0.0.1:5432/mallbots?sslmode=disable, RabbitMQ on
# 127.0.0.1:5672 (guest/guest) with its management console on 15672, and a Go
# toolchain new enough for go.mod.
#
# Idempotent: it installs, creates, starts or reconfigures only what is
# missing, and says on one line per step what it did or skipped. It does not
# rely on systemd (containers and CI runners have none); services are started
# directly with pg_ctlcluster and rabbitmq-server -detached.
set -euo pipefail

# rabbitmq-server, rabbitmqctl and pg_* helpers live in /usr/sbin and
# /usr/bin; a non-root login shell on Debian has no /usr/sbin in PATH.
export PATH="$PATH:/usr/sbin:/sbin"

readonly PG_DSN_ADMIN='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
readonly PG_DB=mallbots
readonly HBA_MARK='# mallbots: trust loopback TCP for local development'
readonly RABBIT_API='http://127.0.0.1:15672/api/overview'

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf 'services: %s\n' "$*"; }
die() {
	printf 'services: ERROR: %s\n' "$*" >&2
	exit 1
}

# Privilege: run as is when root, through sudo otherwise.
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || die "not running as root and sudo is not installed; rerun as root"
	SUDO=(sudo)
fi

# as_postgres runs a command as the postgres OS user (peer auth on the unix
# socket works even before TCP logins are trusted).
as_postgres() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		sudo -u postgres "$@"
	fi
}

APT_UPDATED=
apt_install() {
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* yourself (this script supports Debian 12)"
	if [ -z "$APT_UPDATED" ]; then
		log "apt-get update"
		"${SUDO[@]}" apt-get update -qq
		APT_UPDATED=1
	fi
	log "installing $* with apt-get"
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# wait_for SECONDS COMMAND...: polls COMMAND once a second, at most SECONDS times.
wait_for() {
	local seconds=$1
	shift
	local i
	for ((i = 0; i < seconds; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 1
	done
	return 1
}

# ---------------------------------------------------------------- Go
# Checked first: without Go nothing else in the Makefile works, so fail before
# installing anything.
check_go() {
	local need have
	need=$(awk '$1 == "go" { print $2; exit }' "$ROOT/go.mod")
	[ -n "$need" ] || die "no go directive found in $ROOT/go.mod"
	if ! command -v go >/dev/null 2>&1; then
		if [ -x /usr/local/go/bin/go ]; then
			die "go is installed in /usr/local/go/bin but not on PATH: export PATH=\$PATH:/usr/local/go/bin"
		fi
		die "go not found: install Go >= $need from https://go.dev/dl/ (Debian's apt packages are older)"
	fi
	# GOTOOLCHAIN=local and a neutral directory report the installed toolchain,
	# not one that go.mod would make the go command download.
	have=$(cd / && GOTOOLCHAIN=local go env GOVERSION)
	have=${have#go}
	have=${have%%[!0-9.]*} # go1.26rc1 -> 1.26
	if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]; then
		die "go $have is older than the go $need that go.mod requires: install Go >= $need from https://go.dev/dl/ (Debian's apt packages are older)"
	fi
	log "go $have ok (go.mod needs $need)"
}

# ---------------------------------------------------------------- PostgreSQL
PG_VER=
PG_CLUSTER=

pg_tcp_ready() { pg_isready -q -h 127.0.0.1 -p 5432 -t 2; }

pg_trust_ok() {
	env -u PGPASSWORD PGCONNECT_TIMEOUT=3 \
		psql -w "$PG_DSN_ADMIN" -tAc 'select 1' </dev/null >/dev/null 2>&1
}

ensure_postgres() {
	if compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
		log "PostgreSQL server already installed (skip install)"
	else
		apt_install postgresql
	fi

	# The cluster on port 5432 (pg_lsclusters -h: version name port status ...).
	read -r PG_VER PG_CLUSTER < <(pg_lsclusters -h 2>/dev/null | awk '$3 == 5432 { print $1, $2; exit }') || true
	if [ -n "$PG_CLUSTER" ]; then
		log "PostgreSQL cluster $PG_VER/$PG_CLUSTER exists on port 5432 (skip create)"
	elif pg_tcp_ready; then
		log "a PostgreSQL not managed by pg_lsclusters answers on port 5432 (skip create)"
	else
		PG_VER=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)
		PG_CLUSTER=main
		if pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VER" '$1 == v && $2 == "main" { f = 1 } END { exit !f }'; then
			PG_CLUSTER=mallbots # "main" exists on another port; keep it untouched
		fi
		log "creating PostgreSQL $PG_VER cluster $PG_CLUSTER on port 5432"
		"${SUDO[@]}" pg_createcluster --port 5432 "$PG_VER" "$PG_CLUSTER" >/dev/null
	fi

	if pg_tcp_ready; then
		log "PostgreSQL already accepting connections on 127.0.0.1:5432 (skip start)"
	else
		log "starting PostgreSQL $PG_VER/$PG_CLUSTER"
		# start fails when the cluster is already running but not on TCP; that
		# case is handled just below, so do not stop here.
		"${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$PG_VER" "$PG_CLUSTER" start ||
			log "pg_ctlcluster start failed; checking whether it is already running"
		if ! wait_for 30 pg_tcp_ready; then
			ensure_pg_listens_on_localhost
		fi
		log "PostgreSQL accepting connections on 127.0.0.1:5432"
	fi

	ensure_pg_trust
	ensure_pg_max_connections
	ensure_pg_database
}

# Every serve process keeps a pool of up to 32 connections, and the tests run
# several processes and packages at once: the default of 100 connections is
# too few. Raising it needs a restart, done only when the setting is lower.
PG_MIN_CONNECTIONS=400
ensure_pg_max_connections() {
	local current
	current=$(env -u PGPASSWORD psql -w "$PG_DSN_ADMIN" -tAc 'show max_connections')
	if [ "$current" -ge "$PG_MIN_CONNECTIONS" ]; then
		log "PostgreSQL max_connections is $current (skip)"
		return
	fi
	log "raising PostgreSQL max_connections from $current to $PG_MIN_CONNECTIONS and restarting"
	env -u PGPASSWORD psql -w "$PG_DSN_ADMIN" -qc "alter system set max_connections = $PG_MIN_CONNECTIONS"
	"${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$PG_VER" "$PG_CLUSTER" restart
	wait_for 30 pg_tcp_ready ||
		die "PostgreSQL $PG_VER/$PG_CLUSTER is not accepting connections after the restart; see /var/log/postgresql/postgresql-$PG_VER-$PG_CLUSTER.log"
}

# A running cluster that does not answer on 127.0.0.1 usually has
# listen_addresses set to something else; point it at localhost and restart.
ensure_pg_listens_on_localhost() {
	local listen
	listen=$(cd / && as_postgres psql -p 5432 -tAc 'show listen_addresses' 2>/dev/null) ||
		die "PostgreSQL $PG_VER/$PG_CLUSTER did not start within 30 s; see /var/log/postgresql/postgresql-$PG_VER-$PG_CLUSTER.log"
	log "PostgreSQL listens on '$listen', not on 127.0.0.1; setting listen_addresses = 'localhost' and restarting"
	(cd / && as_postgres psql -p 5432 -qc "alter system set listen_addresses = 'localhost'")
	"${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$PG_VER" "$PG_CLUSTER" restart
	wait_for 30 pg_tcp_ready ||
		die "PostgreSQL $PG_VER/$PG_CLUSTER is not accepting connections on 127.0.0.1:5432 after 30 s; see /var/log/postgresql/postgresql-$PG_VER-$PG_CLUSTER.log"
}

# Debian's pg_hba.conf asks TCP clients for a scram password; the default DSN
# has none, so trust loopback TCP (local development only).
ensure_pg_trust() {
	if pg_trust_ok; then
		log "passwordless TCP login as postgres works (skip pg_hba.conf)"
		return
	fi
	local hba tmp
	hba=$(cd / && as_postgres psql -p 5432 -tAc 'show hba_file') ||
		die "cannot log in as postgres over the unix socket to find pg_hba.conf"
	if "${SUDO[@]}" grep -qxF "$HBA_MARK" "$hba"; then
		die "$hba already has the mallbots trust lines but TCP login still fails; check that nothing above them rejects 127.0.0.1"
	fi
	log "adding trust lines for 127.0.0.1 and ::1 at the top of $hba"
	tmp=$(mktemp)
	{
		printf '%s\n' "$HBA_MARK" 'host all all 127.0.0.1/32 trust' 'host all all ::1/128 trust'
		"${SUDO[@]}" cat "$hba"
	} >"$tmp"
	# cp onto the existing file keeps its owner and mode.
	"${SUDO[@]}" cp "$tmp" "$hba"
	rm -f "$tmp"
	(cd / && as_postgres psql -p 5432 -qtAc 'select pg_reload_conf()' >/dev/null)
	wait_for 10 pg_trust_ok ||
		die "passwordless TCP login still fails after reloading $hba"
	log "passwordless TCP login as postgres works"
}

ensure_pg_database() {
	local exists
	exists=$(env -u PGPASSWORD psql -w "$PG_DSN_ADMIN" -tAc "select 1 from pg_database where datname = '$PG_DB'")
	if [ "$exists" = 1 ]; then
		log "database $PG_DB exists (skip create)"
	else
		log "creating database $PG_DB"
		env -u PGPASSWORD psql -w "$PG_DSN_ADMIN" -qc "create database $PG_DB"
	fi
}

# ---------------------------------------------------------------- RabbitMQ
rabbit_ping() { "${SUDO[@]}" timeout 15 rabbitmq-diagnostics -q ping >/dev/null 2>&1; }
amqp_port_open() { timeout 2 bash -c '</dev/tcp/127.0.0.1/5672'; }
rabbit_api_ok() { curl -fsS -o /dev/null --max-time 3 -u guest:guest "$RABBIT_API"; }

ensure_rabbitmq() {
	if command -v rabbitmq-server >/dev/null 2>&1; then
		log "RabbitMQ already installed (skip install)"
	else
		apt_install rabbitmq-server
	fi

	if rabbit_ping; then
		log "RabbitMQ already running (skip start)"
	else
		log "starting RabbitMQ (rabbitmq-server -detached)"
		"${SUDO[@]}" rabbitmq-server -detached
		# await_startup errors out while the node is not yet reachable at all,
		# so retry it; the whole wait is bounded by timeout.
		if ! "${SUDO[@]}" timeout 120 bash -c \
			'until rabbitmqctl -q await_startup >/dev/null 2>&1; do sleep 1; done'; then
			die "RabbitMQ did not start within 120 s; see /var/log/rabbitmq/"
		fi
		log "RabbitMQ started"
	fi
	wait_for 30 amqp_port_open ||
		die "RabbitMQ runs but nothing listens on 127.0.0.1:5672"

	if "${SUDO[@]}" rabbitmq-plugins -q list -e -m 2>/dev/null | grep -qx rabbitmq_management; then
		log "rabbitmq_management already enabled (skip)"
	else
		log "enabling rabbitmq_management"
		"${SUDO[@]}" rabbitmq-plugins -q enable rabbitmq_management >/dev/null
	fi

	if ! command -v curl >/dev/null 2>&1; then
		# In a subshell so that a failed install (no apt, no network) only
		# skips the console check instead of failing the whole script.
		(apt_install curl) || log "could not install curl"
	fi
	if command -v curl >/dev/null 2>&1; then
		wait_for 60 rabbit_api_ok ||
			die "the management API $RABBIT_API does not answer guest:guest after 60 s"
		log "management console answers on http://127.0.0.1:15672"
	else
		log "curl unavailable: not checking the management console (skip)"
	fi
}

check_go
ensure_postgres
ensure_rabbitmq
log "PostgreSQL ready on 127.0.0.1:5432, RabbitMQ ready on 127.0.0.1:5672 (console http://localhost:15672 guest/guest)"
