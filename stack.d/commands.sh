# stack.d/commands.sh - the commands of the COMMANDS table in ./stack (but
# psql and pg_dump, in pg.sh, and test, in test.sh).  Sourced by ./stack.

# Everything `up` needs before the first daemon starts: the user, var/
# (placed where that user reaches it), the programs.
prepare() {
	ensure_user
	choose_var
	check_var_path
	prepare_var
	if [ $STAGED = yes ]; then
		SQL_DIR=$VAR/app/sql STATIC_DIR=$VAR/app/static
	fi
}

# up [--api K] [--senders M] [--standby]: K api and M sender instances
# (proc.sh, kept in var/stack.conf); --standby adds a streaming replica of the cluster (kept by
# every later `up` until `failover` promotes it).
cmd_up() {
	local standby=no
	while [ $# -gt 0 ]; do
		case $1 in
		--standby) standby=yes ;;
		--api | --senders)
			instances_option "$1" "${2:-}"
			shift
			;;
		*) die "up: unknown argument \"$1\" (./stack help)" ;;
		esac
		shift
	done
	install_packages
	build_tree
	require_binaries
	prepare
	instances_load
	instances_save
	stage_app
	tls_setup
	sso_idp_setup
	pg_init
	pg_start
	pg_createdb
	if [ $standby = yes ] || sb_exists; then
		standby_up
	else
		standby_forget
	fi
	write_configs
	migrate
	keys_setup
	demo_account
	nginx_config
	printf '%s\n' "$BUILD" | write_file 0644 "$VAR/run/build"
	start_services
	cat <<EOF

scanpost is up.
  Open        $SP_URL/   (trust var/tls/ca.crt, the local test CA)
  curl        curl --cacert var/tls/ca.crt $SP_URL/healthz
  RMail sim   $RMAIL_URL/_sim/messages
  Demo login  $DEMO_USER / $(cat "$VAR/demo-password")   (also in var/demo-password)
  Database    ./stack psql     (or TCP 127.0.0.1:$PG_PORT, user $DB_OWNER, password in var/pg-owner-password)
EOF
	if sb_exists; then
		echo "  Standby     ${SB_DIR#"$VAR"/} (127.0.0.1:$SB_PORT, hot standby, synchronous); ./stack failover promotes it"
	fi
	cat <<EOF
  Logs        var/log/
  Stop        ./stack down
EOF
	if [ $STAGED = yes ]; then
		say "  var/        -> $VAR (user $SVC_USER cannot enter $ROOT;"
		say "              the daemons run from copies in var/app/: ./stack up again after editing static/ or sql/)"
	fi
}

# package [DIR]: the Debian package from this tree (debian/build-deb).
cmd_package() {
	install_packages
	"$ROOT/debian/build-deb" "$@"
}

cmd_down() {
	stop_services
	pg_stop
}

cmd_status() {
	local s pid
	instances_load
	printf '%-18s %-8s %s\n' SERVICE PID STATE
	if pg_running; then
		printf '%-18s %-8s %s\n' postgres "$(head -n 1 "$PG_DIR/postmaster.pid")" \
			"running (${PG_DIR#"$VAR"/}, primary, port $PG_PORT)"
	else
		printf '%-18s %-8s %s\n' postgres - stopped
	fi
	if sb_running; then
		printf '%-18s %-8s %s\n' postgres-standby "$(head -n 1 "$SB_DIR/postmaster.pid")" \
			"running (${SB_DIR#"$VAR"/}, standby, port $SB_PORT)"
	elif sb_exists; then
		printf '%-18s %-8s %s\n' postgres-standby - "stopped (${SB_DIR#"$VAR"/})"
	fi
	for s in $(service_names); do
		if pid=$(svc_pid "$s"); then
			printf '%-18s %-8s %s\n' "$s" "$pid" "running ($(cat "$VAR/run/$s.exe"))"
		elif [ -f "$VAR/run/$s.pid" ]; then
			printf '%-18s %-8s %s\n' "$s" "$(cat "$VAR/run/$s.pid")" "dead (stale pid file)"
		else
			printf '%-18s %-8s %s\n' "$s" - stopped
		fi
	done
	echo
	if ! pg_running; then
		echo "queue: unknown (postgres is not running)"
		return 0
	fi
	if [ "$(pg_psql -d "$DB_NAME" -Atc "SELECT to_regclass('scanpost.jobs') IS NOT NULL" 2>/dev/null)" != t ]; then
		echo "queue: table scanpost.jobs is missing (migrations not applied?)"
		return 0
	fi
	echo "queue depth by state:"
	pg_psql -d "$DB_NAME" -c \
		"SELECT state, count(*) AS jobs FROM scanpost.jobs GROUP BY state ORDER BY state"
}

# scanpostctl of the build the stack runs (build-asan under `test`, with the
# sanitizer options), as the service user, so key files it writes stay
# readable by the daemons.
cmd_scanpostctl() {
	local build=$ROOT exe
	local -a args=("$@")
	[ -s "$VAR/run/build" ] && build=$(cat "$VAR/run/build")
	[ "$build" = "$ROOT/build-asan" ] && sanitizer_env
	case " $* " in
	*" -c "* | *" --config "* | *" --config="*) ;;
	*) args=(-c "$VAR/ctl.conf" "$@") ;;
	esac
	exe=$(svc_bin src/ctl/scanpostctl "$build")
	[ -x "$exe" ] || die "$exe is not built"
	as_svc env "${SVC_ENV[@]}" "$exe" "${args[@]}"
}

cmd_bench() {
	[ -x "$ROOT/bench/run" ] || die "bench/run is missing or not executable"
	# Benchmarks upload documents of hundreds of MB: the production limit.
	# (`up` restarts the api when the limit changes, either way.)
	UPLOAD_MAX_BYTES=1073741824
	stack_up_run bench/run "$@"
}

# stack_run SCRIPT [ARGS]: a script of the repository against the running
# stack, with its addresses in the environment (for one-line commands of
# the table, e.g. a tests/.../run).
stack_run() {
	local script=$1
	shift
	[ -x "$ROOT/$script" ] || die "$script is missing or not executable"
	export SP_URL SP_CA=$VAR/tls/ca.crt RMAIL_URL ROOT SP_VAR=$VAR SP_PG_PORT=$PG_PORT
	"$ROOT/$script" "$@"
}

# stack_up_run SCRIPT [ARGS]: `up`, then stack_run.
stack_up_run() {
	cmd_up
	stack_run "$@"
}

# stack_make TARGET... [VAR=VALUE...]: make in the repository (the in-tree
# build made first), for one-line commands of the table.
stack_make() {
	build_tree
	make -C "$ROOT" "$@"
}

usage() {
	local name args help
	sed -n '2,/^# ---/p' "$0" | sed -e '/^# ---/d' -e 's/^# \{0,1\}//'
	echo "Commands:"
	while IFS='|' read -r name args _ help; do
		printf '  ./stack %-24s %s\n' "$(trim "$(trim "$name") $(trim "$args")")" "$(trim "$help")"
	done < <(table_rows "$COMMANDS")
}
