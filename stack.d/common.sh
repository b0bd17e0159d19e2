# stack.d/common.sh - what every part of ./stack uses: messages, the service
# user, files written for it, packages, the two builds, and where var/ lives.
# Sourced by ./stack (never run on its own).

say() { printf '%s\n' "$*"; }
step() { printf '==> %s\n' "$*"; }
warn() { printf 'stack: %s\n' "$*" >&2; }
die() {
	printf 'stack: %s\n' "$*" >&2
	exit 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# trim TEXT: TEXT without its leading and trailing white space (a cell of
# a table).
trim() {
	local s=$*
	s=${s#"${s%%[![:space:]]*}"}
	printf '%s' "${s%"${s##*[![:space:]]}"}"
}

# Runs a command as the service user (directly when we are that user); from
# var/ when it cannot enter the repository, the current directory.
as_svc() {
	if is_root; then
		(
			case $PWD in "$ROOT" | "$ROOT"/*) [ "$STAGED" = no ] || cd "$VAR" || exit ;; esac
			exec setpriv --reuid="$SVC_USER" --regid="$SVC_USER" --init-groups \
				env HOME="$VAR" USER="$SVC_USER" LOGNAME="$SVC_USER" "$@"
		)
	else
		"$@"
	fi
}

# Writes stdin to FILE with MODE, owned by the service user.  An unchanged
# FILE is left alone, mtime included: start_svc restarts a daemon whose
# config is newer than the daemon.
write_file() {
	local mode=$1 file=$2 tmp
	tmp=$(mktemp "$file.XXXXXX")
	cat >"$tmp"
	if [ -f "$file" ] && cmp -s "$tmp" "$file"; then
		rm -f "$tmp"
		tmp=$file
	fi
	chmod "$mode" "$tmp"
	if is_root; then
		chown "$SVC_USER:$SVC_USER" "$tmp"
	fi
	[ "$tmp" = "$file" ] || mv -f "$tmp" "$file"
}

sudo_cmd() {
	if is_root; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root for: $* (sudo is not installed)"
	fi
}

random_secret() {
	# 24 characters of base64url (144 bits).
	openssl rand -base64 18 | tr '+/' '-_'
}

show_log() {
	local log=$VAR/log/$1.log
	[ -f "$1" ] && log=$1
	if [ -f "$log" ]; then
		warn "last lines of ${log#"$VAR"/}:"
		tail -n 30 "$log" | sed 's/^/    /' >&2
	fi
}

# ---------------------------------------------------------------- packages

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

install_packages() {
	local missing="" p nginx_ok=no
	for p in $PACKAGES; do
		installed "$p" || missing="$missing $p"
	done
	for p in nginx-light nginx nginx-core nginx-full; do
		installed "$p" && nginx_ok=yes
	done
	# Node.js for the browser tests: Debian's, unless a node and npm are
	# already on the PATH (another build of Node.js bundles its own npm).
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
	if [ -z "$missing" ] && [ $nginx_ok = yes ]; then
		return
	fi
	sudo_cmd apt-get update -q
	if [ $nginx_ok = no ]; then
		# nginx-light where the release still has it (bookworm), else nginx.
		if apt-cache show nginx-light >/dev/null 2>&1; then
			missing="$missing nginx-light"
		else
			missing="$missing nginx"
		fi
	fi
	step "installing Debian packages:$missing"
	# shellcheck disable=SC2086
	sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

# ------------------------------------------------------------------- build

# The in-tree build: autoreconf when configure is missing or older than its
# sources, configure when it never ran, then make (whose own rules re-run
# automake/config.status when configure.ac or a Makefile.am changes).
build_tree() {
	if [ "${STACK_SKIP_BUILD:-}" = 1 ]; then
		return
	fi
	[ -f configure.ac ] || die "no configure.ac in $ROOT"
	if [ ! -x configure ] || [ configure.ac -nt configure ]; then
		step "autoreconf"
		autoreconf -fi
	fi
	if [ ! -f config.status ]; then
		step "configure"
		./configure --enable-werror
	fi
	step "make"
	make -j2
}

# The sanitizer build in build-asan/.  automake refuses a VPATH build whose
# source directory is itself configured ("source directory already
# configured"), and VPATH would pick up the in-tree objects if it did not.
# So build-asan/srcdir/ is a fresh copy of the tree, `make distclean`ed, and
# build-asan/ is a VPATH build of that copy: its binaries sit at the same
# relative paths (build-asan/cgi/scanpost-api, ...), and tar keeps the
# mtimes, so make rebuilds only what changed since the last run.
build_asan() {
	local dir=$ROOT/build-asan
	step "sanitizer build in build-asan/"
	mkdir -p "$dir"
	rm -rf "$dir/srcdir"
	mkdir "$dir/srcdir"
	tar -C "$ROOT" --exclude=./var --exclude=./.git --exclude=./build-asan \
		--exclude=./tests/browser/node_modules \
		--exclude='./scanpost-[0-9]*' -cf - . | tar -C "$dir/srcdir" -xf -
	(
		cd "$dir"
		if [ -f srcdir/config.status ]; then
			make -C srcdir -s distclean >/dev/null
		fi
		if [ ! -f config.status ]; then
			./srcdir/configure -q --enable-sanitizers --enable-werror
		fi
		make -j2
	)
}

# ------------------------------------------------- the service user and var/

ensure_user() {
	is_root || return 0
	if ! id "$SVC_USER" >/dev/null 2>&1; then
		step "creating system user $SVC_USER"
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin --comment "scanpost local stack" "$SVC_USER"
	fi
}

# True when the service user can reach what the daemons read from the
# repository: the binaries, sql/ and static/.
svc_reaches_tree() {
	local p
	for p in "$ROOT" "$ROOT/sql" "$ROOT/static" "$BUILD/cgi/scanpost-api"; do
		[ -e "$p" ] || continue
		as_svc test -r "$p" -a -x "$p" || return 1
	done
}

# Where var/ lives (sets VAR and STAGED).  Normally in the repository.  As
# root the daemons run as the service user; when the repository sits in a
# directory that user cannot enter (a clone in /root, in `mktemp -d`, ...),
# var/ is a symbolic link to STATE_BASE/<hash of the repository path>/, a
# directory made for that user, and the daemons run from copies of their
# binaries, sql/ and static/ under var/app/ (see stage_app): they never read
# the repository, and no permission outside it is changed.
locate_var() {
	if [ -L "$ROOT/var" ]; then
		VAR=$(readlink -f "$ROOT/var")
		STAGED=yes
	else
		VAR=$ROOT/var
		STAGED=no
	fi
	pg_place # which cluster under var/ is the primary (stack.d/pg.sh)
}

choose_var() {
	local dir
	[ $STAGED = no ] || return 0
	is_root || return 0
	svc_reaches_tree && return 0
	if [ -e "$ROOT/var" ]; then
		die "user $SVC_USER cannot reach $ROOT (a parent directory lacks o+x), and var/
  is a directory there from an earlier run: stop it (./stack down), remove it
  (rm -rf var) and run again; var/ then lives under $STATE_BASE/."
	fi
	dir=$STATE_BASE/$(printf '%s' "$ROOT" | sha256sum | cut -c1-16)
	step "user $SVC_USER cannot reach $ROOT: var/ -> $dir"
	mkdir -p "$dir"
	chmod 0755 "$STATE_BASE"
	ln -s "$dir" "$ROOT/var"
	locate_var
}

# The path length is checked where VAR is known: unix socket paths are
# limited to 107 bytes (sun_path).
check_var_path() {
	if [ ${#VAR} -gt 80 ]; then
		die "the path of var/ ($VAR) is too long for unix sockets under var/run (at most ~70 characters)"
	fi
}

prepare_var() {
	mkdir -p "$VAR"
	local d
	for d in "$VAR" "$VAR/run" "$VAR/log" "$VAR/log/asan" "$VAR/tls" "$VAR/keys" \
		"$VAR/keys/doc" "$VAR/keys/token" "$VAR/keys/sso" "$VAR/sso-idp" \
		"$VAR/nginx" "$VAR/nginx/snippets" \
		"$VAR/nginx/tmp" "$VAR/rmail" "$VAR/rmail/store" "$VAR/device" "$VAR/app" \
		"$VAR/audit"; do
		mkdir -p "$d"
	done
	if is_root; then
		chown -R "$SVC_USER:$SVC_USER" "$VAR"
	fi
	chmod 0755 "$VAR"
	# The sockets and secrets are for the service user only.
	chmod 0700 "$VAR/run" "$VAR/keys" "$VAR/keys/doc" "$VAR/keys/token" "$VAR/keys/sso" \
		"$VAR/sso-idp" "$VAR/tls" \
		"$VAR/rmail" "$VAR/nginx/tmp" "$VAR/device" "$VAR/audit"
}

# The name of BUILD's copies under var/app/ (staged runs only): one folder
# per build, so that switching between the plain and the sanitizer build
# changes the path of each binary, which restarts it (start_svc).
build_tag() {
	if [ "$1" = "$ROOT" ]; then echo tree; else basename "$1"; fi
}

# svc_bin REL [BUILD]: the program the service user runs for BUILD's REL
# (cgi/scanpost-api, ...); an absolute REL (nginx) is itself.
svc_bin() {
	local rel=$1 build=${2:-$BUILD}
	case $rel in
	/*) printf '%s\n' "$rel" ;;
	*) if [ $STAGED = yes ]; then
		printf '%s\n' "$VAR/app/$(build_tag "$build")/$(basename "$rel")"
	else
		printf '%s\n' "$build/$rel"
	fi ;;
	esac
}

# Staged runs: copies of BUILD's programs (each replaced only when it
# changed, mtime kept, so an unchanged daemon is not restarted), and of
# sql/ and static/, all the service user's.
stage_app() {
	local rel dst dir
	[ $STAGED = yes ] || return 0
	dir=$VAR/app/$(build_tag "$BUILD")
	mkdir -p "$dir"
	for rel in $BINARIES; do
		dst=$dir/$(basename "$rel")
		[ -f "$dst" ] && cmp -s "$BUILD/$rel" "$dst" && continue
		cp -p "$BUILD/$rel" "$dst.new"
		mv -f "$dst.new" "$dst"
	done
	for dir in sql static; do
		rm -rf "$VAR/app/$dir.new"
		cp -Rp "$ROOT/$dir" "$VAR/app/$dir.new"
		rm -rf "$VAR/app/$dir"
		mv "$VAR/app/$dir.new" "$VAR/app/$dir"
	done
	chown -R "$SVC_USER:$SVC_USER" "$VAR/app"
	chmod -R u+rwX,go+rX "$VAR/app"
}

require_binaries() {
	local b
	for b in $BINARIES; do
		[ -x "$BUILD/$b" ] || die "$BUILD/$b is not built (run make)"
	done
}
