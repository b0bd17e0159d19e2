# stack.d/proc.sh - process supervision: the services table (SERVICES in
# ./stack) read row by row, each program started in its own session as its
# user with its pid in var/run/NAME.pid, waited for until its readiness
# check passes, and stopped by that recorded pid only.  Sourced by ./stack.

# Environment of the scanpost daemons; `test` adds the sanitizer options.
SVC_ENV=()
# Set by start_svc: yes when it started the program, no when it was running.
SVC_STARTED=no
# Files whose change restarts the program start_svc is asked for.
SVC_INPUTS=()
# A socket start_svc removes before a start (a socket left by a daemon that
# died would pass its readiness check).
SVC_SOCKET=

# The sanitizer options for programs of the ASan build (`test` starts the
# stack from it): reports go to files under var/log/asan/, which `test`
# counts as failures.
sanitizer_env() {
	SVC_ENV=(
		"ASAN_OPTIONS=log_path=$VAR/log/asan/asan:detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
		"UBSAN_OPTIONS=log_path=$VAR/log/asan/ubsan:print_stacktrace=1:halt_on_error=1"
		"LSAN_OPTIONS=log_path=$VAR/log/asan/lsan"
	)
}

# ------------------------------------------------------------ the table

# The rows of SERVICES, comments and blank lines left out, a row continued
# on the next line after a backslash joined into one.
service_rows() {
	printf '%s\n' "$SERVICES" | sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' |
		sed -e 's/[[:space:]]*#.*//' -e '/^[[:space:]]*$/d'
}

# ---------------------------------------------------------- instances
# A row whose NAME is BASE@COUNT (COUNT a $VARIABLE or a number) runs COUNT
# copies of its program (README, Several instances).  Instance 1 is BASE,
# with today's pid file, log and sockets; instance N >= 2 is BASE-N
# (var/run/BASE-N.pid, var/log/BASE-N.log).  While a row is read, INST is
# "" for instance 1 and "-N" for the others, and INSTANCE the instance's
# name (BASE or BASE-N): the row puts them in its socket paths and its
# environment.  `./stack up --api K --senders M` (or STACK_API_INSTANCES,
# STACK_SENDERS) sets the counts; `up` keeps them in var/stack.conf, so a
# later `up` without them starts as many.

API_INSTANCES=${STACK_API_INSTANCES:-}
SENDER_INSTANCES=${STACK_SENDERS:-}
INST=
INSTANCE=

# instances_option OPTION VALUE: --api K or --senders M of `up`.
instances_option() {
	case $2 in
	[1-9] | [1-9][0-9]) ;;
	*) die "up $1: give a number of instances from 1 to 99, not \"$2\"" ;;
	esac
	case $1 in
	--api) API_INSTANCES=$2 ;;
	--senders) SENDER_INSTANCES=$2 ;;
	esac
}

# The counts not given on the command line or in the environment: from
# var/stack.conf (what the last `up` ran), else 1.
instances_load() {
	local key value
	if [ -f "$VAR/stack.conf" ]; then
		while IFS='=' read -r key value; do
			case $key in
			api_instances) API_INSTANCES=${API_INSTANCES:-$value} ;;
			senders) SENDER_INSTANCES=${SENDER_INSTANCES:-$value} ;;
			esac
		done <"$VAR/stack.conf"
	fi
	API_INSTANCES=${API_INSTANCES:-1} SENDER_INSTANCES=${SENDER_INSTANCES:-1}
	instances_option --api "$API_INSTANCES"
	instances_option --senders "$SENDER_INSTANCES"
}

instances_save() {
	printf '# written by ./stack up; ./stack up --api K --senders M changes it\napi_instances=%s\nsenders=%s\n' \
		"$API_INSTANCES" "$SENDER_INSTANCES" | write_file 0644 "$VAR/stack.conf"
}

# The name of instance N of BASE.
instance_name() {
	if [ "$2" -eq 1 ]; then printf '%s\n' "$1"; else printf '%s-%s\n' "$1" "$2"; fi
}

# The rows with one line per instance: "N ROW" (N is 1 for a plain row).
instance_rows() {
	local row base count n
	while IFS= read -r row; do
		base=${row%%[[:space:]]*}
		case $base in
		*@*)
			count=$(eval "printf '%s' \"${base#*@}\"")
			for n in $(seq 1 "${count:-1}"); do
				printf '%s %s\n' "$n" "$row"
			done
			;;
		*) printf '1 %s\n' "$row" ;;
		esac
	done < <(service_rows)
}

# The instances the table starts now, in start order.
configured_names() {
	local row base n
	while IFS= read -r row; do
		n=${row%% *} row=${row#* } base=${row%%[[:space:]]*}
		instance_name "${base%@*}" "$n"
	done < <(instance_rows)
}

# Instances a pid file names beyond the counts (left by an `up` with more).
surplus_names() {
	local base f configured
	configured=" $(configured_names | tr '\n' ' ') "
	for base in $(service_rows | awk '$1 ~ /@/ { sub(/@.*/, "", $1); print $1 }'); do
		for f in "$VAR/run/$base"-[0-9]*.pid; do
			[ -e "$f" ] || continue
			f=$(basename "$f" .pid)
			case $configured in *" $f "*) ;; *) printf '%s\n' "$f" ;; esac
		done
	done
}

# Every instance: those the table starts now, in start order, then the
# surplus ones, so that `down` and `status` see them too.
service_names() {
	configured_names
	surplus_names
}

# The programs `up` needs from BUILD: every relative BINARY of the table,
# and scanpostctl (migrations, keys).
service_binaries() {
	service_rows | awk '$2 !~ /^[$\/]/ {print $2}'
	echo src/ctl/scanpostctl
	echo src/preview/scanpost-preview # started by scanpost-api per preview
}

# row_fields "N ROW" (a line of instance_rows): sets S_NAME (the instance's
# name) S_BIN S_USER S_CONFIG S_PORTS S_READY S_RELOAD S_ENV and the array
# S_ARGS from one row of instance N, its $VARIABLES expanded now (VAR is
# known only once var/ is placed; INST and INSTANCE are the instance's).
row_fields() {
	local -a f
	local n=${1%% *} row=${1#* } base
	base=${row%%[[:space:]]*}
	base=${base%@*}
	INSTANCE=$(instance_name "$base" "$n")
	INST=${INSTANCE#"$base"}
	eval "f=(${row#*[[:space:]]})"
	S_NAME=$INSTANCE S_BIN=${f[0]} S_USER=${f[1]} S_CONFIG=${f[2]} S_PORTS=${f[3]}
	S_READY=${f[4]} S_RELOAD=${f[5]} S_ENV=${f[6]}
	S_ARGS=("${f[@]:7}")
	[ "$S_USER" = svc ] && S_USER=$SVC_USER
	return 0
}

# A comma list of the table ("-" for none), one item a line.
list() {
	[ "$1" = - ] || printf '%s\n' "$1" | tr ',' '\n'
}

# ---------------------------------------------------------- processes

# The pid recorded for NAME, when that process is alive and is NAME.
svc_pid() {
	local name=$1 pid exe
	[ -f "$VAR/run/$name.pid" ] || return 1
	pid=$(cat "$VAR/run/$name.pid")
	exe=$(cat "$VAR/run/$name.exe" 2>/dev/null || echo "$name")
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$(basename "$exe")" || return 1
	printf '%s\n' "$pid"
}

# True while PID exists and is no zombie (a daemon started by this shell
# that died stays a zombie: nobody waits for it).  Unlike svc_pid this does
# not look at the command line, which is still ours between fork and exec.
pid_alive() {
	[ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# wait_until NAME LOG CMD...: polls CMD until it succeeds, for at most
# TIMEOUT seconds; fails early when NAME (a service) died.
wait_until() {
	local name=$1 log=$2 deadline=$((SECONDS + TIMEOUT))
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		if [ -f "$VAR/run/$name.pid" ] && ! pid_alive "$(cat "$VAR/run/$name.pid")"; then
			show_logs "$log"
			die "$name exited during start-up"
		fi
		if [ $SECONDS -ge $deadline ]; then
			show_logs "$log"
			die "$name not ready after ${TIMEOUT}s"
		fi
		sleep 0.2
	done
}

# start_svc NAME USER EXE ARGS...: runs EXE in the background as USER, in
# its own session, stderr to var/log/NAME.log, pid to var/run/NAME.pid.  A
# running NAME is left alone unless its binary changed (rebuilt, or the ASan
# build instead of the plain one) or one of the files in SVC_INPUTS (its
# config) is newer than it: then it is restarted.
start_svc() {
	local name=$1 user=$2 exe=$3 pid why='' f
	shift 3
	if pid=$(svc_pid "$name"); then
		if [ "$(cat "$VAR/run/$name.exe")" != "$exe" ] || [ "$exe" -nt "$VAR/run/$name.pid" ]; then
			why="binary changed"
		fi
		for f in "${SVC_INPUTS[@]}"; do
			if [ "$f" -nt "$VAR/run/$name.pid" ]; then
				why="${f#"$VAR"/} changed"
			fi
		done
		if [ -z "$why" ]; then
			say "    $name already running (pid $pid)"
			SVC_STARTED=no
			return 0
		fi
		say "    $name: $why, restarting"
		stop_svc "$name"
	fi
	rm -f "$VAR/run/$name.pid"
	[ -z "$SVC_SOCKET" ] || rm -f "$SVC_SOCKET"
	step "starting $name"
	# setsid: not in the caller's session, so closing the terminal does not
	# stop it.  In this non-interactive shell the subshell is no process
	# group leader, so setsid(1) execs without forking and $! is the daemon.
	(
		cd "$VAR"
		if is_root; then
			exec setsid setpriv --reuid="$user" --regid="$user" --init-groups \
				env HOME="$VAR" USER="$user" LOGNAME="$user" "${SVC_ENV[@]}" \
				"$exe" "$@" </dev/null >>"$VAR/log/$name.log" 2>&1
		else
			exec setsid env "${SVC_ENV[@]}" "$exe" "$@" </dev/null >>"$VAR/log/$name.log" 2>&1
		fi
	) &
	pid=$!
	SVC_STARTED=yes
	printf '%s\n' "$pid" | write_file 0644 "$VAR/run/$name.pid"
	printf '%s\n' "$exe" | write_file 0644 "$VAR/run/$name.exe"
}

stop_svc() {
	local name=$1 pid
	if ! pid=$(svc_pid "$name"); then
		if [ -f "$VAR/run/$name.pid" ]; then
			say "$name not running (stale pid file removed)"
		fi
		rm -f "$VAR/run/$name.pid" "$VAR/run/$name.exe"
		return 0
	fi
	say "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 $((TIMEOUT * 5))); do
		pid_alive "$pid" || break
		sleep 0.2
	done
	if pid_alive "$pid"; then
		warn "$name (pid $pid) ignored SIGTERM for ${TIMEOUT}s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$VAR/run/$name.pid" "$VAR/run/$name.exe"
}

# ------------------------------------------------------ readiness checks

# True when something accepts TCP connections on HOST:PORT.
port_in_use() {
	timeout 2 bash -c "exec 3<>/dev/tcp/${1%:*}/${1##*:}" 2>/dev/null
}

healthz_ok() {
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 --cacert "$VAR/tls/ca.crt" \
		"$SP_URL/healthz")" = 200 ]
}
device_sim_ready() {
	curl -s --max-time 2 "$DEVICE_URL/_sim/state" | jq -e 'type == "object"' >/dev/null
}
rmail_sim_ready() {
	curl -s --max-time 2 --cacert "$VAR/tls/ca.crt" "$RMAIL_URL/_sim/faults" |
		jq -e 'type == "array"' >/dev/null
}

# The logs that tell why NAME did not come up.
show_logs() {
	show_log "$1"
	[ ! -f "$VAR/log/$1-error.log" ] || show_log "$1-error"
}

# ready NAME CHECK: waits for CHECK of the table: sock:PATH (PATH is a
# socket), alive (still running a second after the start: a program with
# no endpoint), or the name of a function that succeeds once NAME serves.
ready() {
	local name=$1 check=$2
	case $check in
	sock:*) wait_until "$name" "$name" test -S "${check#sock:}" ;;
	alive)
		sleep 1
		pid_alive "$(cat "$VAR/run/$name.pid")" || {
			show_logs "$name"
			die "$name exited during start-up"
		}
		;;
	*) wait_until "$name" "$name" "$check" ;;
	esac
}

# ------------------------------------------------------------- services

# Before starting a service that is not running, its ports must be free, or
# its readiness check could be answered by someone else.
ports_free() {
	local row hp rows
	mapfile -t rows < <(instance_rows)
	for row in "${rows[@]}"; do
		row_fields "$row"
		svc_pid "$S_NAME" >/dev/null && continue
		for hp in $(list "$S_PORTS"); do
			if port_in_use "$hp"; then
				die "cannot start $S_NAME: $hp is already in use by another program (ss -ltnp shows which)"
			fi
		done
	done
}

# Starts (or keeps, or restarts) one row of the table and waits until ready.
start_row() {
	local -a SVC_ENV=("${SVC_ENV[@]}") SVC_INPUTS=()
	local SVC_SOCKET='' e
	row_fields "$1"
	mapfile -t SVC_INPUTS < <(list "$S_CONFIG")
	# Programs that are no part of scanpost (nginx) get no sanitizer options.
	case $S_BIN in /*) SVC_ENV=() ;; esac
	for e in $(list "$S_ENV"); do SVC_ENV+=("$e"); done
	case $S_READY in sock:*) SVC_SOCKET=${S_READY#sock:} ;; esac
	start_svc "$S_NAME" "$S_USER" "$(svc_bin "$S_BIN")" "${S_ARGS[@]}"
	if [ $SVC_STARTED = no ] && [ "$S_RELOAD" = hup ]; then
		kill -HUP "$(svc_pid "$S_NAME")"
	fi
	ready "$S_NAME" "$S_READY"
}

start_services() {
	local row rows s
	for s in $(surplus_names | tac); do
		stop_svc "$s"
	done
	ports_free
	mapfile -t rows < <(instance_rows)
	for row in "${rows[@]}"; do
		start_row "$row"
	done
}

stop_services() {
	local s
	for s in $(service_names | tac); do
		stop_svc "$s"
	done
}
