#!/usr/bin/env bash
# t_25_ctl.sh - scanpostctl against the running stack: migrate, keys, queue.
#
# Env: ROOT (the repository), SCANPOSTCTL (default $ROOT/src/ctl/scanpostctl),
# CTL_CONF (default $SP_VAR/ctl.conf, the config the stack writes).
#
# Note: `keys rotate doc` re-wraps the live document keys to a new primary
# and `keys retire-unused doc` destroys the old key file, as the daily timer
# does.  The api and the sender must therefore pick up keyring changes while
# running (DESIGN 3.6), as they must in production.
set -u

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SCANPOSTCTL=${SCANPOSTCTL:-$ROOT/src/ctl/scanpostctl}
CTL_CONF=${CTL_CONF:-$SP_VAR/ctl.conf}

if [ -f "$ROOT/tests/lib/assert.sh" ]; then
	# shellcheck source=/dev/null
	. "$ROOT/tests/lib/assert.sh"
fi
if ! declare -F assert_eq >/dev/null; then
	assert_eq() {
		if [ "$2" = "$3" ]; then
			echo "ok - $1"
			return 0
		fi
		echo "not ok - $1: expected '$2', got '$3'"
		return 1
	}
fi

t25_pass=0
t25_fail=0
check_eq() {
	if assert_eq "$@"; then
		t25_pass=$((t25_pass + 1))
	else
		t25_fail=$((t25_fail + 1))
	fi
}
# check_has DESC NEEDLE TEXT: TEXT contains NEEDLE.
check_has() {
	case $3 in
	*"$2"*) check_eq "$1" "has: $2" "has: $2" ;;
	*) check_eq "$1" "has: $2" "$(printf '%s' "$3" | head -c 300)" ;;
	esac
}
check_lacks() {
	case $3 in
	*"$2"*) check_eq "$1" "lacks: $2" "$(printf '%s' "$3" | head -c 300)" ;;
	*) check_eq "$1" "lacks: $2" "lacks: $2" ;;
	esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run ARGS...: sets out (stdout), rc, err (the error lines: JSON log lines
# on stderr are left out) and nerr (how many error lines).
run() {
	out=$("$SCANPOSTCTL" -c "$CTL_CONF" "$@" 2>"$tmp/stderr")
	rc=$?
	err=$(grep -v '^{' "$tmp/stderr")
	nerr=$(grep -vc '^{' "$tmp/stderr")
}

primary_of() { # the primary kid in `keys list` output
	printf '%s\n' "$1" | sed -n 's/.*, primary: //p' | head -n 1
}

if [ ! -x "$SCANPOSTCTL" ] || [ ! -r "$CTL_CONF" ]; then
	echo "t_25_ctl: need $SCANPOSTCTL and $CTL_CONF" >&2
	exit 1
fi

# ---- command line -----------------------------------------------------------
run --help
check_eq "help exits 0" 0 "$rc"
check_has "help shows usage" "usage: scanpostctl" "$out"
check_has "help lists the config keys" "key_rotation_period" "$out"

run
check_eq "no command is a usage error" 2 "$rc"
run frobnicate
check_eq "unknown command is a usage error" 2 "$rc"
check_eq "unknown command: one error line" 1 "$nerr"
check_has "unknown command is named" "frobnicate" "$err"

# ---- migrate ----------------------------------------------------------------
run migrate
check_eq "migrate exits 0" 0 "$rc"
run migrate
check_eq "second migrate exits 0" 0 "$rc"
check_has "second migrate has nothing to apply" "nothing to apply" "$out"
run migrate --status
check_eq "migrate --status exits 0" 0 "$rc"
check_has "migrate --status: nothing pending" ", 0 pending" "$out"
check_lacks "migrate --status: nothing changed" "CHANGED" "$out"
run migrate --bogus
check_eq "migrate with a bad option is a usage error" 2 "$rc"

# ---- keys -------------------------------------------------------------------
run keys list doc
check_eq "keys list doc exits 0" 0 "$rc"
old=$(primary_of "$out")
check_eq "keys list doc names a primary" yes "$([ -n "$old" ] && echo yes || echo no)"
check_has "keys list marks the primary row" "yes" "$out"
keydir=$(printf '%s\n' "$out" | sed -n 's/^doc keyring \(.*\), primary: .*/\1/p')

run keys list token
check_eq "keys list token exits 0" 0 "$rc"
check_eq "keys list token names a primary" yes \
	"$([ -n "$(primary_of "$out")" ] && echo yes || echo no)"

run keys list nosuch
check_eq "keys list of an unknown keyring is a usage error" 2 "$rc"

run keys rotate doc
check_eq "keys rotate doc exits 0" 0 "$rc"
check_has "keys rotate reports the re-wrap" "re-wrapped" "$out"
run keys list doc
new=$(primary_of "$out")
check_eq "after rotate the primary is new" yes \
	"$([ -n "$new" ] && [ "$new" != "$old" ] && echo yes || echo no)"
check_has "after rotate the old key is still listed" "$old" "$out"

run keys retire doc "$new"
check_eq "retiring the primary is refused" 1 "$rc"
check_has "the refusal says it is the primary" "primary" "$err"
check_eq "the refusal is one line" 1 "$nerr"
run keys list doc
check_has "the refused primary is still there" "$new" "$out"

run keys retire doc "../etc"
check_eq "a bad key id is a usage error" 2 "$rc"

run keys retire-unused doc
check_eq "keys retire-unused doc exits 0" 0 "$rc"
check_has "retire-unused retires the old key" "retired doc key $old" "$out"
run keys list doc
check_lacks "the old key is gone from the keyring" "$old" "$out"
check_eq "the primary stays" "$new" "$(primary_of "$out")"
if [ -n "$keydir" ] && [ -r "$keydir" ]; then
	check_eq "the old key file is deleted" no "$([ -e "$keydir/$old.key" ] && echo yes || echo no)"
	check_eq "the primary key file stays" yes "$([ -e "$keydir/$new.key" ] && echo yes || echo no)"
fi

# ---- queue ------------------------------------------------------------------
run queue list --limit 1000
check_eq "queue list exits 0" 0 "$rc"
check_has "queue list has a header" "ID" "$out"
check_has "queue list shows states" "STATE" "$out"
check_has "queue list counts jobs" "job" "$out"

run queue list --state nosuch
check_eq "queue list with a bad state is a usage error" 2 "$rc"

run queue list --limit 1000
job=$(printf '%s\n' "$out" | awk 'NR > 1 && NF >= 3 && $3 != "failed" && $1 ~ /^[0-9a-f-]+$/ && length($1) == 36 { print $1; exit }')
if [ -n "$job" ]; then
	run queue retry "$job"
	check_eq "retry of a job that is not failed is refused" 1 "$rc"
	check_has "the refusal says why" "not failed" "$err"
	check_eq "the refusal is one line" 1 "$nerr"
fi
run queue retry 00000000-0000-0000-0000-000000000000
check_eq "retry of an unknown job is refused" 1 "$rc"
check_has "the refusal names the job" "no job 00000000-0000-0000-0000-000000000000" "$err"
run queue retry not-a-uuid
check_eq "retry of a malformed id is a usage error" 2 "$rc"

run queue purge --state sent --older-than 36500
check_eq "purge without --yes exits 0" 0 "$rc"
check_has "purge without --yes only counts" "would delete" "$out"
run queue purge --state queued --older-than 1
check_eq "purge of a live state is a usage error" 2 "$rc"

echo "$t25_pass passed, $t25_fail failed"
[ "$t25_fail" -eq 0 ]
