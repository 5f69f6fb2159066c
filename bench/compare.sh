#!/bin/sh
# Measures chatd and ngircd side by side with the same load, RUNS times
# each, restarting each server before every scenario, and prints every
# summary line followed by the medians per server and scenario.
#
#   bench/compare.sh [RUNS]        (default 3; needs ngircd: apt-get install ngircd)
#
# Both servers listen on 127.0.0.1:16667 in turn (bench/chatd.toml,
# bench/ngircd.conf: no lobby, no flood penalties). Raw lines go to
# /tmp/chatd-compare.txt.
set -u
runs=${1:-3}
cd "$(dirname "$0")/.." || exit 1
go build -o /tmp/chatd-cmp . && go build -o /tmp/bench-cmp ./bench || exit 1
out=/tmp/chatd-compare.txt
: >"$out"
addr=127.0.0.1:16667

start() {
	case $1 in
	chatd) /tmp/chatd-cmp -config bench/chatd.toml 2>/dev/null & ;;
	ngircd) ngircd -n -f "$PWD/bench/ngircd.conf" >/dev/null 2>&1 & ;;
	esac
	pid=$!
	i=0
	while ! /tmp/bench-cmp -addr $addr idle -n 1 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 50 ] && { echo "$1 did not start" >&2; exit 1; }
		sleep 0.1
	done
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }

r=1
while [ "$r" -le "$runs" ]; do
	for s in chatd ngircd; do
		for c in \
			"fanout|fanout -clients 200 -senders 10 -lines 1000" \
			"steady|fanout -clients 200 -senders 10 -lines 500 -rate 100" \
			"churn|churn -workers 32 -duration 10s"; do
			start "$s"
			line=$(/tmp/bench-cmp -addr $addr -timeout 120s ${c#*|} 2>/dev/null)
			stop
			echo "server_name=$s case=${c%%|*} $line" | tee -a "$out"
		done
		start "$s"
		line=$(/tmp/bench-cmp -addr $addr -timeout 120s idle -n 10000 -pid "$pid" 2>/dev/null)
		stop
		echo "server_name=$s case=idle $line" | tee -a "$out"
	done
	r=$((r + 1))
done

median() { # server case key
	grep "server_name=$1 case=$2 " "$out" | tr ' ' '\n' | sed -n "s/^$3=//p" | tr -d 'ms' |
		sort -g | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "-"}'
}
echo
printf '%-8s %14s %12s %14s %12s %10s\n' server fanout_del/s steady_p99ms idle_kb/conn regs/s churn/s
for s in chatd ngircd; do
	printf '%-8s %14s %12s %14s %12s %10s\n' "$s" \
		"$(median $s fanout deliveries_per_s)" "$(median $s steady p99)" \
		"$(median $s idle rss_per_conn_kb)" "$(median $s idle regs_per_s)" "$(median $s churn cycles_per_s)"
done
