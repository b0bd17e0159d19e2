# stack.d/test.sh - `./stack test`: runs the rows of SUITES (in ./stack) in
# order, each with its output in var/log/test-NAME.log, and summarises.
# Sourced by ./stack.

SUITE_LINES=()
SUITES_PASSED=0
SUITES_FAILED=0
SUITES_OK=" "

# suite NAME CMD...: runs CMD with its output in var/log/test-NAME.log.
suite() {
	local name=$1 start rc=0 secs
	shift
	start=$SECONDS
	printf '==> suite %s ... ' "$name"
	# In the background so that `set -e` holds inside (bash ignores it in
	# a subshell whose status is tested, as `( ... ) || rc=$?` would do).
	("$@") >"$VAR/log/test-$name.log" 2>&1 </dev/null &
	wait $! || rc=$?
	secs=$((SECONDS - start))
	if [ $rc -eq 0 ]; then
		SUITES_PASSED=$((SUITES_PASSED + 1))
		SUITES_OK="$SUITES_OK$name "
		SUITE_LINES+=("$(printf '%-14s passed  %5ds' "$name" "$secs")")
		echo "passed (${secs}s)"
	else
		SUITES_FAILED=$((SUITES_FAILED + 1))
		SUITE_LINES+=("$(printf '%-14s FAILED  %5ds  (var/log/test-%s.log)' "$name" "$secs" "$name")")
		echo "FAILED (${secs}s, exit $rc); last lines of var/log/test-$name.log:"
		tail -n 40 "$VAR/log/test-$name.log" | sed 's/^/    /'
	fi
	return $rc
}

suite_skipped() {
	SUITES_FAILED=$((SUITES_FAILED + 1))
	SUITE_LINES+=("$(printf '%-14s FAILED  %5ds  (not run: %s)' "$1" 0 "$2")")
	echo "==> suite $1 ... FAILED (not run: $2)"
}

# Runs every row of SUITES: NAME | NEEDS | COMMAND.  A suite whose NEEDS
# (comma list of earlier suites) did not all pass is not run, and counts as
# failed.  COMMAND is shell words, $VARIABLES expanded when it runs.
run_suites() {
	local row name needs cmd n missing
	local -a rows words
	mapfile -t rows < <(printf '%s\n' "$SUITES" | sed -e 's/^[[:space:]]*#.*//' -e '/^[[:space:]]*$/d')
	for row in "${rows[@]}"; do
		IFS='|' read -r name needs cmd <<<"$row"
		name=$(trim "$name") needs=$(trim "$needs")
		missing=
		for n in $(printf '%s' "$needs" | tr ',' ' '); do
			case $SUITES_OK in *" $n "*) ;; *) missing="$missing${missing:+, }$n" ;; esac
		done
		if [ -n "$missing" ]; then
			suite_skipped "$name" "needs $missing"
			continue
		fi
		eval "words=($cmd)"
		suite "$name" "${words[@]}" || true
	done
}

sanitizer_reports() {
	find "$VAR/log/asan" -type f -size +0 2>/dev/null | sort
}

# The integration and browser suites run against one stack started from the
# sanitizer build, so ASan/UBSan watch the real daemons all along.
# test_env CMD...: CMD with that stack's environment (a test that restarts
# a daemon with ./stack up gets the same build).
test_env() {
	export STACK_BUILD=$ROOT/build-asan STACK_SKIP_BUILD=1 STACK_SANITIZE=1
	export SP_URL SP_CA=$VAR/tls/ca.crt RMAIL_URL ROOT SP_VAR=$VAR SP_PG_PORT=$PG_PORT
	"$@"
}
test_stack_up() {
	find "$VAR/log/asan" -type f -delete 2>/dev/null || true
	test_env "$ROOT/stack" up
}
# stack_stopped CMD...: CMD once this repository's stack is stopped (a suite
# that starts a stack of its own on the same ports, e.g. check-dist, even
# when stack-asan failed half-way and sanitizers did not run).
stack_stopped() {
	"$ROOT/stack" down >/dev/null
	"$@"
}

# The Debian package: built, then installed into a fresh root and run from
# there on ports of its own (tests/package/run), which needs root: through
# sudo when the stack runs as someone else.
package_check() {
	make deb
	sudo_cmd make check-package
}

# Stopping lets LeakSanitizer run at the exit of each daemon; any report
# from any daemon during the run fails this suite.
test_stack_down() {
	local rc=0 f
	"$ROOT/stack" down || rc=$?
	for f in $(sanitizer_reports); do
		echo "sanitizer report ${f#"$VAR"/}:"
		head -n 60 "$f"
		rc=1
	done
	return $rc
}

cmd_test() {
	local t0=$SECONDS
	install_packages
	ensure_user
	choose_var
	check_var_path
	mkdir -p "$VAR/log"
	# Whatever ran before is stopped: the integration suite starts the
	# stack from the sanitizer build, and `test` stops what it started.
	if [ -d "$VAR/run" ]; then
		cmd_down >/dev/null
	fi
	trap '"$ROOT/stack" down >/dev/null 2>&1 || true' EXIT

	run_suites

	echo
	echo "summary (total $((SECONDS - t0))s):"
	printf '  %s\n' "${SUITE_LINES[@]}"
	echo "$SUITES_PASSED passed, $SUITES_FAILED failed"
	[ $SUITES_FAILED -eq 0 ]
}

# The failover suite (tests/failover/run) on a stack of its own, from the
# plain build: `up --standby`, the run (a failover in the middle of it),
# then, when var/pg-standby is the primary, a failover back, so var/pg is
# the primary on its port again and the stack is as the other suites and
# tools know it; then down.  The old
# primaries' directories (var/pg-old.*) go.
failover_test() {
	local rc=0
	"$ROOT/stack" up --standby >"$VAR/log/failover-up.log" 2>&1 || {
		tail -n 20 "$VAR/log/failover-up.log"
		return 1
	}
	stack_run tests/failover/run "$@" || rc=$?
	if [ "$(cat "$VAR/pg-primary" 2>/dev/null)" = pg-standby ]; then
		echo "failing back to var/pg:"
		"$ROOT/stack" up --standby >>"$VAR/log/failover-up.log" 2>&1 &&
			"$ROOT/stack" failover || rc=1
	fi
	"$ROOT/stack" down >/dev/null || rc=1
	rm -rf "$VAR"/pg-old.*
	return $rc
}
