#!/bin/sh
# What history costs the fan-out, and how fast CHATHISTORY answers.
#
#   bench/history.sh [RUNS]      (default 5)
#
# Fan-out: chatd with [history] enabled = true and = false, in turns, RUNS
# times each (alternating, so that the machine's other load falls on both
# alike), `fanout -clients 200 -senders 10 -lines 1000`; then the medians
# of deliveries/s and their ratio. The store is a real file in a
# temporary directory (history is written to it), restarted every run.
#
# CHATHISTORY: the steady load (`-rate 100`, 500 lines per sender) while
# one more member asks CHATHISTORY LATEST #bench * 100 every 20 ms; once
# with channel_length = 1000 (answered from memory) and once with 50
# (every answer needs the store). Medians of ch_p50/ch_p99 over RUNS.
#
# Raw lines go to /tmp/chatd-history-bench.txt. Port 127.0.0.1:16667.
set -u
runs=${1:-5}
cd "$(dirname "$0")/.." || exit 1
go build -o /tmp/chatd-hb . && go build -o /tmp/bench-hb ./bench || exit 1
out=/tmp/chatd-history-bench.txt
: >"$out"
addr=127.0.0.1:16667
dir=$(mktemp -d /tmp/chatd-history-bench.XXXXXX)

start() { # history-enabled channel_length
	rm -f "$dir"/chatd.db*
	{
		cat bench/chatd.toml
		printf '[store]\npath = "chatd.db"\n[history]\nenabled = %s\nchannel_length = %s\n' "$1" "$2"
	} >"$dir/chatd.toml"
	/tmp/chatd-hb -config "$dir/chatd.toml" 2>/dev/null &
	pid=$!
	i=0
	while ! /tmp/bench-hb -addr $addr idle -n 1 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 50 ] && { echo "chatd did not start" >&2; exit 1; }
		sleep 0.1
	done
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
# cpu_ms: the CPU time (user + system) chatd has used so far, a measure
# of its work that the machine's other load disturbs less than rates do.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' /proc/"$pid"/stat; }

r=1
while [ "$r" -le "$runs" ]; do
	for h in true false; do
		start $h 1000
		before=$(cpu_ms)
		line=$(/tmp/bench-hb -addr $addr -timeout 120s fanout -clients 200 -senders 10 -lines 1000 2>/dev/null)
		sleep 0.5 # the last commit of history, if any, belongs to the run
		cpu=$(($(cpu_ms) - before))
		stop
		echo "case=fanout history=$h cpu_ms=$cpu $line" | tee -a "$out"
	done
	for len in 1000 50; do
		start true $len
		line=$(/tmp/bench-hb -addr $addr -timeout 120s chathistory 2>/dev/null)
		stop
		echo "case=chathistory channel_length=$len $line" | tee -a "$out"
	done
	r=$((r + 1))
done
rm -rf "$dir"

median() { # pattern key
	grep -- "$1" "$out" | tr ' ' '\n' | sed -n "s/^$2=//p" | tr -d 'ms' |
		sort -g | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "-"}'
}
on=$(median "history=true " deliveries_per_s)
off=$(median "history=false " deliveries_per_s)
echo
echo "fan-out deliveries/s, median of $runs: history on $on, off $off, on/off $(awk "BEGIN {printf \"%.3f\", $on/$off}")"
con=$(median "history=true " cpu_ms)
coff=$(median "history=false " cpu_ms)
echo "chatd CPU for the run (ms), median of $runs: history on $con, off $coff, on/off $(awk "BEGIN {printf \"%.3f\", $con/$coff}")"
for len in 1000 50; do
	echo "CHATHISTORY LATEST 100 under steady load, channel_length=$len: p50 $(median "channel_length=$len " ch_p50) ms, p99 $(median "channel_length=$len " ch_p99) ms, fan-out p99 $(median "channel_length=$len " p99) ms"
done
