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
#
# Nothing listens beyond loopback: PostgreSQL's listen_addresses is left
# at Debian's 'localhost', and RabbitMQ's AMQP and management listeners, epmd
# (4369) and, where the node's name allows it, the Erlang distribution port
# (25672) are bound to 127.0.0.1 in /etc/rabbitmq. A RabbitMQ already running
# is never restarted (others may be using it): the configuration takes effect
# at its next start. Only a RabbitMQ this very run installed is restarted.
#
#   scripts/services.sh rabbitmq-config CONF_DIR MNESIA_DIR
# only writes that configuration into CONF_DIR (deciding the node name from
# the node data in MNESIA_DIR) and exits; the tests use it.
set -euo pipefail

# rabbitmq-server, rabbitmqctl and pg_* helpers live in /usr/sbin and
# /usr/bin; a non-root login shell on Debian has no /usr/sbin in PATH.
export PATH="$PATH:/usr/sbin:/sbin"

readonly PG_DSN_ADMIN='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
readonly PG_DB=mallbots
readonly HBA_MARK='# mallbots: trust loopback TCP for local development'
readonly RABBIT_API='http://127.0.0.1:15672/api/overview'
RABBIT_CONF_DIR=/etc/rabbitmq
RABBIT_MNESIA_DIR=/var/lib/rabbitmq/mnesia
readonly BLOCK_BEGIN='# mallbots: begin (scripts/services.sh keeps this block: listen on loopback only)'
readonly BLOCK_END='# mallbots: end'

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

# managed_content FILE KEYS LINE...: prints FILE as it must be: its lines,
# less the block an earlier run wrote, with every other line that sets one
# of KEYS (an extended regex) commented out, then LINE... as our block. The
# output of a second run equals the first's.
managed_content() {
	local file=$1 keys=$2
	shift 2
	if [ -f "$file" ]; then
		# Through ENVIRON, not -v, so that awk leaves the regex's backslashes be.
		BEGIN_LINE=$BLOCK_BEGIN END_LINE=$BLOCK_END KEYS=$keys awk '
			$0 == ENVIRON["BEGIN_LINE"] { skip = 1; next }
			skip { if ($0 == ENVIRON["END_LINE"]) skip = 0; next }
			$0 ~ "^[[:space:]]*(" ENVIRON["KEYS"] ")[[:space:]]*=" { print "# mallbots: replaced by the block below: " $0; next }
			{ print }' "$file"
	fi
	printf '%s\n' "$BLOCK_BEGIN" "$@" "$BLOCK_END"
}

# write_managed FILE KEYS LINE...: makes FILE hold managed_content; returns
# 0 when it changed FILE, 1 when FILE was already so.
write_managed() {
	local file=$1 tmp
	tmp=$(mktemp)
	managed_content "$@" >"$tmp"
	if [ -f "$file" ] && cmp -s "$tmp" "$file"; then
		rm -f "$tmp"
		return 1
	fi
	# cp onto an existing file keeps its owner and mode.
	"${SUDO[@]}" cp "$tmp" "$file"
	"${SUDO[@]}" chmod a+r "$file"
	rm -f "$tmp"
	return 0
}

# rabbit_node_renamable says whether the node may be named rabbit@localhost:
# yes unless it holds data under another name, which a rename would leave
# behind (RABBIT_INSTALLED_NOW: that data is only what the install made).
rabbit_node_renamable() {
	local d
	[ -n "${RABBIT_INSTALLED_NOW:-}" ] && return 0
	for d in "$RABBIT_MNESIA_DIR"/*@*; do
		[ -e "$d" ] || continue
		case ${d##*/} in
		rabbit@localhost | rabbit@localhost[-.]*) ;;
		*) return 1 ;;
		esac
	done
	return 0
}

# configure_rabbitmq_loopback writes the loopback bindings into
# RABBIT_CONF_DIR; RABBIT_CONFIG_CHANGED is set when a file changed.
# The Erlang distribution port can only be bound to 127.0.0.1 when the node
# is called rabbit@localhost: the CLI tools reach rabbit@<host> at the
# address <host> resolves to, which on Debian is 127.0.1.1 or a container's
# own address.
RABBIT_CONFIG_CHANGED=
configure_rabbitmq_loopback() {
	# The soft limit of open files up to the hard one, however RabbitMQ is
	# started: with Debian's 1024 every test's connections exhaust it, and
	# the broker's file handle cache dies for good. (Single quotes: the line
	# is written as is, for RabbitMQ's scripts to run.)
	# shellcheck disable=SC2016
	local env_lines=('ERL_EPMD_ADDRESS=127.0.0.1' 'ulimit -S -n "$(ulimit -H -n)" 2>/dev/null || true')
	if rabbit_node_renamable; then
		env_lines+=('NODENAME=rabbit@localhost' 'SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"')
	else
		log "RabbitMQ holds data under another node name: keeping it, so its distribution port 25672 stays on every interface (guarded by the Erlang cookie)"
	fi
	"${SUDO[@]}" mkdir -p "$RABBIT_CONF_DIR"
	if write_managed "$RABBIT_CONF_DIR/rabbitmq.conf" 'listeners\.tcp\.[^=[:space:]]+|management\.tcp\.(ip|port)' \
		'listeners.tcp.local = 127.0.0.1:5672' 'management.tcp.ip = 127.0.0.1' 'management.tcp.port = 15672'; then
		RABBIT_CONFIG_CHANGED=1
		log "wrote loopback listeners (AMQP 5672, management 15672) into $RABBIT_CONF_DIR/rabbitmq.conf"
	else
		log "$RABBIT_CONF_DIR/rabbitmq.conf already binds loopback (skip)"
	fi
	if write_managed "$RABBIT_CONF_DIR/rabbitmq-env.conf" '(export[[:space:]]+)?(ERL_EPMD_ADDRESS|(RABBITMQ_)?NODENAME|(RABBITMQ_)?SERVER_ADDITIONAL_ERL_ARGS)' \
		"${env_lines[@]}"; then
		RABBIT_CONFIG_CHANGED=1
		log "wrote loopback epmd and node settings into $RABBIT_CONF_DIR/rabbitmq-env.conf"
	else
		log "$RABBIT_CONF_DIR/rabbitmq-env.conf already binds loopback (skip)"
	fi
}

# rabbit_exposed lists RabbitMQ's and epmd's listening sockets that are not
# on loopback, one per line; empty when ss is missing.
rabbit_exposed() {
	command -v ss >/dev/null 2>&1 || return 0
	ss -Hltn 2>/dev/null | awk '{ print $4 }' |
		grep -E ':(5672|15672|4369|25672)$' | grep -Ev '^(127\.[0-9.]+|\[::1\]):' || true
}

ensure_rabbitmq() {
	if command -v rabbitmq-server >/dev/null 2>&1; then
		log "RabbitMQ already installed (skip install)"
	else
		apt_install rabbitmq-server
		RABBIT_INSTALLED_NOW=1
		if rabbit_ping; then
			# The package started it with its defaults (every interface, the
			# host's node name); nobody uses it yet. Stop it, and the epmd it
			# started, while the CLI still addresses it by that name.
			log "stopping the RabbitMQ the package started, to start it again on loopback"
			"${SUDO[@]}" rabbitmqctl -q stop >/dev/null 2>&1 || true
			"${SUDO[@]}" epmd -kill >/dev/null 2>&1 || true
		fi
	fi
	configure_rabbitmq_loopback

	if rabbit_ping; then
		log "RabbitMQ already running (skip start)"
		local exposed
		exposed=$(rabbit_exposed | tr '\n' ' ')
		if [ -n "$exposed" ]; then
			log "RabbitMQ listens beyond loopback on ${exposed% } until its next start, which applies the loopback configuration (not restarted: others may be using it)"
		elif [ -n "$RABBIT_CONFIG_CHANGED" ]; then
			log "the new RabbitMQ configuration takes effect at its next start (not restarted: others may be using it)"
		fi
	else
		log "starting RabbitMQ (rabbitmq-server -detached)"
		# Every test process holds connections; the default limit of 1024
		# open files runs out under the whole suite (file_descriptor_limit).
		# As root, raise the hard limit too (rabbitmq-env.conf raises the
		# soft one to it).
		"${SUDO[@]}" bash -c 'ulimit -n 65536 2>/dev/null || true; exec rabbitmq-server -detached'
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

if [ "${1:-}" = rabbitmq-config ]; then
	[ $# -eq 3 ] || die "usage: $0 rabbitmq-config CONF_DIR MNESIA_DIR"
	RABBIT_CONF_DIR=$2
	RABBIT_MNESIA_DIR=$3
	configure_rabbitmq_loopback
	exit 0
fi

check_go
ensure_postgres
ensure_rabbitmq
log "PostgreSQL ready on 127.0.0.1:5432, RabbitMQ ready on 127.0.0.1:5672 (console http://localhost:15672 guest/guest)"
