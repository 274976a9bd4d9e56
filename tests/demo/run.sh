#!/usr/bin/env bash
# The demo in CI. Runs the README's first command, scripts/demo, from the checkout (with its
# own state directory and free ports, so a developer's demo and var/ are left alone), waits
# for /readyz, logs in with the virtual card card-rsa through the API as the login page
# does, waits until a live gateway query of the demo agencies, served by their data
# holders, shows in that person's access log, then stops the demo as Ctrl-C does (SIGINT to its process group) and checks
# that no process and no listening port is left behind.
#
#   tests/demo/run.sh            (ctest -L demo)
#
# MADOTEST_KEEP=1 keeps the state directory. Needs root or sudo for scripts/setup, as the
# demo does; curl and the Debian packages scripts/setup installs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

READY_S=${MADO_DEMO_READY_S:-600} # the demo builds Mado first
ENTRY_S=90
STOP_S=60

say() { echo "demo test: $*"; }
fail() {
	echo "demo test: FAIL: $*" >&2
	exit 1
}

tmp=$(mktemp -d /tmp/mado-demo-XXXXXX)
chmod 755 "$tmp" # the cluster's owner (user mado, as root) must reach var/ inside
var=$tmp/var
demo=''

# After a failure: the demo's processes (see demo_procs) are ended, the cluster stopped.
cleanup() {
	local rc=$? left
	if [ -n "$demo" ]; then
		left=$(demo_procs | sed -n 's/^P \([0-9]*\) .*/\1/p')
		kill -KILL -- "-$demo" 2>/dev/null || true
		[ ! -d "$var/pg/data" ] || "$root/scripts/pgcluster" stop "$var/pg" >/dev/null 2>&1 || true
		# shellcheck disable=SC2086
		[ -z "$left" ] || kill -KILL $left 2>/dev/null || true
	fi
	if [ "$rc" -ne 0 ]; then
		for f in "$tmp/demo.out" "$var/traffic.log" "$var/services.log"; do
			[ -f "$f" ] || continue
			echo "---- $f (last lines) ----" >&2
			tail -n 40 "$f" >&2
		done
	fi
	if [ -z "${MADOTEST_KEEP:-}" ]; then rm -rf "$tmp"; else say "kept $tmp"; fi
	exit "$rc"
}
trap cleanup EXIT

# Free loopback ports, all different, below the ephemeral range (where the harness's and
# every outgoing connection's ports are).
ports=()
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
while [ ${#ports[@]} -lt 6 ]; do
	p=$((20000 + RANDOM % 12000))
	case " ${ports[*]} " in *" $p "*) continue ;; esac
	listening "$p" || ports+=("$p")
done
# The five data holders listen on five ports in a row.
while :; do
	h=$((32100 + RANDOM % 500 * 5))
	busy=0
	for p in $(seq "$h" $((h + 4))); do listening "$p" && busy=1; done
	[ "$busy" = 0 ] && break
done
holder_ports=($(seq "$h" $((h + 4))))
port=${ports[0]}
origin=https://localhost:$port
url=https://127.0.0.1:$port

# The demo's processes: those whose command line names its state directory, those of its
# session, of the sessions its processes started (the scripts run in sessions of their own)
# and their descendants (PostgreSQL's backends rename themselves and start sessions of
# their own). Lines "P pid starttime command" and "S session"; zombies are gone already.
own_sid=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f4)
sessions=''
demo_procs() {
	local p st cmd
	for p in /proc/[0-9]*; do
		st=$(sed 's/.*) //' "$p/stat" 2>/dev/null) || continue
		cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || cmd=''
		# shellcheck disable=SC2086
		[ -n "$st" ] && set -- $st && echo "${p#/proc/} $2 $4 ${20} $1 $cmd"
	done | awk -v tmp="$tmp" -v demo="$demo" -v own="$own_sid" -v known="$sessions" '
		{ p = $1; pp[p] = $2; sid[p] = $3; start[p] = $4; z[p] = $5 == "Z"
		  c = $0; for (i = 0; i < 5; i++) sub(/^[^ ]+ /, "", c); cmd[p] = c }
		END {
			n = split(known, k, " ")
			for (i = 1; i <= n; i++) ses[k[i]] = 1
			ses[demo] = 1
			for (p in z) if (!z[p] && sid[p] != own && index(cmd[p], tmp)) ses[sid[p]] = 1
			for (p in z) if (!z[p] && (sid[p] in ses || (sid[p] != own && index(cmd[p], tmp)))) in_[p] = 1
			do {
				more = 0
				for (p in z) if (!z[p] && !(p in in_) && (pp[p] in in_)) { in_[p] = 1; more = 1 }
			} while (more)
			for (s in ses) print "S " s
			for (p in in_) print "P " p " " start[p] " " cmd[p]
		}'
}
# Which of the processes listed (P lines) still run, as the same processes.
still_running() {
	local _ pid start rest now
	while read -r _ pid start rest; do
		now=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '$1 != "Z" { print $20 }')
		[ "$now" = "$start" ] && echo "$pid $rest"
	done < <(grep '^P ' <<<"$1")
	return 0
}

say "scripts/demo with its state in $var, ports ${ports[*]}"
# setsid: a session and process group of its own, as a terminal gives a command.
MADO_DEMO_VAR=$var MADO_DEMO_PORT=$port MADO_DEMO_TLS_LOGIN_PORT=${ports[1]} \
	MADO_DEMO_OCSP_PORT=${ports[2]} MADO_DEMO_ORG_OCSP_PORT=${ports[3]} \
	MADO_DEMO_PG_PORT=${ports[4]} MADO_DEMO_CALLBACK_PORT=${ports[5]} \
	MADO_DEMO_HOLDER_PORT=$h MADO_DEMO_TRAFFIC_EVERY=1 \
	setsid "$root/scripts/demo" </dev/null >"$tmp/demo.out" 2>&1 &
demo=$!

# Ready.
start=$SECONDS
until curl -fsk --max-time 5 "$url/readyz" >/dev/null 2>&1; do
	kill -0 "$demo" 2>/dev/null || fail "scripts/demo exited before /readyz answered"
	[ $((SECONDS - start)) -lt "$READY_S" ] || fail "/readyz did not answer within $READY_S s"
	sleep 1
done
say "ready after $((SECONDS - start)) s"

# Log in with card-rsa, as web/js/login.js does: challenge, the virtual card's token for
# its nonce, then the token.
cookie='' csrf=''
call() { # method path [body]: the answer's status in $status, its body in $body
	local h="$tmp/headers" c
	status=$(curl -sS -k --max-time 20 -X "$1" -D "$h" -o "$tmp/body" -w '%{http_code}' \
		-H "Origin: $origin" -H 'Content-Type: application/json' -H 'Accept: application/json' \
		${cookie:+-H "Cookie: $cookie"} ${csrf:+-H "X-CSRF-Token: $csrf"} \
		${3+--data-binary "$3"} "$url$2") || status=0
	body=$(cat "$tmp/body" 2>/dev/null || true)
	c=$(sed -n 's/^[Ss]et-[Cc]ookie: *\(__Host-mado=[^;]*\).*/\1/p' "$h" | tail -n1)
	[ -z "$c" ] || cookie=$c
}
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" <<<"$body" | head -n1; }
call POST /api/v1/auth/challenge ''
nonce=$(field nonce)
{ [ "$status" = 200 ] && [ -n "$nonce" ]; } || fail "challenge: $status $body"
call POST /api/v1/demo/cards/card-rsa/token "{\"nonce\":\"$nonce\"}"
[ "$status" = 200 ] || fail "card-rsa's token: $status $body"
call POST /api/v1/auth/webeid "$body"
[ "$status" = 200 ] || fail "login with card-rsa: $status $body"
csrf=$(field csrf_token)
[ -n "$csrf" ] || fail "login with card-rsa: no CSRF token in $body"
say "logged in with card-rsa"

# A live query of the demo agencies in that person's log, served: its holders answered.
start=$SECONDS
while :; do
	call GET '/api/v1/me/access-log?channel=gateway&outcome=served'
	[ "$status" = 200 ] || fail "access log: $status $body"
	grep -q '"channel":"gateway"' <<<"$body" && break
	[ $((SECONDS - start)) -lt "$ENTRY_S" ] ||
		fail "no gateway entry in card-rsa's log within $ENTRY_S s: $body"
	sleep 1
done
say "a gateway entry is in the log after $((SECONDS - start)) s"

# Ctrl-C.
before=$(demo_procs)
sessions=$(sed -n 's/^S //p' <<<"$before" | tr '\n' ' ')
sed -n "s/^P //p" <<<"$before"; say "$(grep -c '^P ' <<<"$before") processes of the demo run; SIGINT to its process group"
kill -INT -- "-$demo"
start=$SECONDS
while kill -0 "$demo" 2>/dev/null; do
	[ $((SECONDS - start)) -lt "$STOP_S" ] || fail "scripts/demo still runs $STOP_S s after SIGINT"
	sleep 0.2
done
rc=0
wait "$demo" || rc=$?
say "scripts/demo exited with status $rc after $((SECONDS - start)) s"

# Nothing left behind: processes, ports, the cluster. A moment for the last ones to go.
start=$SECONDS
while :; do
	left=$( (still_running "$before"; still_running "$(demo_procs)") | sort -u)
	open=()
	for p in "${ports[@]}" "${holder_ports[@]}"; do listening "$p" && open+=("$p"); done
	[ -z "$left" ] && [ ${#open[@]} -eq 0 ] && break
	[ $((SECONDS - start)) -lt 2 ] || break
	sleep 0.5
done
[ -z "$left" ] || fail "processes left behind:
$left
(the demo's processes before SIGINT:
$(sed -n 's/^P //p' <<<"$before"))"
[ ${#open[@]} -eq 0 ] || fail "ports still listening: ${open[*]}"
[ ! -e "$var/pg/data/postmaster.pid" ] || fail "the cluster still has a postmaster.pid"
grep -q "demo: stopped" "$tmp/demo.out" || fail "scripts/demo did not say it stopped"
demo=''
say "stopped; no process or port left behind"
