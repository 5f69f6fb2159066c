#!/bin/sh
# What a single chatd server costs against an older one: fan-out and
# churn, run in turns so the machine's other load falls on every variant
# alike.
#
#   bench/refcompare.sh REF_TREE [RUNS [NEW_TREE]]   (RUNS default 5,
#                                                    NEW_TREE this tree)
#   git worktree add --detach /work/wt-ref 5cd768c
#   bench/refcompare.sh /work/wt-ref 7
#
# Variants: "ref" (chatd built from REF_TREE with its bench/chatd.toml; a
# REF_TREE with history also runs as "refnohist", [history] enabled =
# false), "new" (NEW_TREE, its bench/chatd.toml with a store file in a
# temporary directory: accounts and history on, as shipped) and "nohist"
# (the same with [history] enabled = false). Each run restarts the server. Fan-out:
# `fanout -clients 200 -senders 10 -lines 1000`, deliveries/s and chatd's
# CPU time for that fixed work; churn: `churn -workers 32 -duration 10s`,
# cycles/s and cycles per chatd CPU second. The load tool is this tree's
# for every variant. Raw lines: /tmp/chatd-refcompare.txt (or $OUT).
set -u
ref=${1:?usage: bench/refcompare.sh REF_TREE [RUNS [NEW_TREE]]}
runs=${2:-5}
cd "$(dirname "$0")/.." || exit 1
new=${3:-$PWD}
(cd "$ref" && go build -o /tmp/chatd-ref .) || exit 1
(cd "$new" && go build -o /tmp/chatd-new .) && go build -o /tmp/bench-rc ./bench || exit 1
out=${OUT:-/tmp/chatd-refcompare.txt}
: >"$out"
addr=127.0.0.1:16667
dir=$(mktemp -d /tmp/chatd-refcompare.XXXXXX)
cp "$ref/bench/chatd.toml" "$dir/ref.toml"
variants="ref new nohist"
if grep -q 'toml:"history"' "$ref/conf/config.go"; then
	{ cat "$ref/bench/chatd.toml"; printf '[history]\nenabled = false\n'; } >"$dir/refnohist.toml"
	variants="ref refnohist new nohist"
fi
{ cat "$new/bench/chatd.toml"; printf '[store]\npath = "chatd.db"\n'; } >"$dir/new.toml"
{ cat "$new/bench/chatd.toml"; printf '[store]\npath = "chatd.db"\n[history]\nenabled = false\n'; } >"$dir/nohist.toml"

start() { # variant
	rm -f "$dir"/chatd.db*
	bin=/tmp/chatd-new
	case $1 in ref*) bin=/tmp/chatd-ref ;; esac
	$bin -config "$dir/$1.toml" 2>/dev/null &
	pid=$!
	i=0
	while ! /tmp/bench-rc -addr $addr idle -n 1 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 50 ] && { echo "$1 did not start" >&2; exit 1; }
		sleep 0.1
	done
}
stop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' /proc/"$pid"/stat; }

r=1
while [ "$r" -le "$runs" ]; do
	for v in $variants; do
		start $v
		before=$(cpu_ms)
		line=$(/tmp/bench-rc -addr $addr -timeout 120s fanout -clients 200 -senders 10 -lines 1000 2>/dev/null)
		sleep 0.3
		cpu=$(($(cpu_ms) - before))
		stop
		echo "variant=$v case=fanout cpu_ms=$cpu $line" | tee -a "$out"
		start $v
		before=$(cpu_ms)
		line=$(/tmp/bench-rc -addr $addr -timeout 120s churn -workers 32 -duration 10s 2>/dev/null)
		cpu=$(($(cpu_ms) - before))
		stop
		cycles=$(echo "$line" | tr ' ' '\n' | sed -n 's/^cycles=//p')
		echo "variant=$v case=churn cpu_ms=$cpu cycles_per_cpu_s=$(awk "BEGIN {printf \"%d\", $cycles*1000/($cpu+1)}") $line" | tee -a "$out"
	done
	r=$((r + 1))
done
rm -rf "$dir"

median() { # variant case key
	grep "variant=$1 case=$2 " "$out" | tr ' ' '\n' | sed -n "s/^$3=//p" | tr -d 'ms' |
		sort -g | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "-"}'
}
ratio() { awk "BEGIN {if ($2 + 0 == 0) print \"-\"; else printf \"%.3f\", $1/$2}"; }
echo
printf '%-7s %14s %13s %11s %16s\n' variant fanout_del/s fanout_cpu_ms churn/s churn/cpu_s
for v in $variants; do
	printf '%-7s %14s %13s %11s %16s\n' $v "$(median $v fanout deliveries_per_s)" "$(median $v fanout cpu_ms)" \
		"$(median $v churn cycles_per_s)" "$(median $v churn cycles_per_cpu_s)"
done
pairs="new/ref nohist/ref"
case $variants in *refnohist*) pairs="new/ref nohist/refnohist" ;; esac
for p in $pairs; do
	v=${p%/*} r=${p#*/}
	echo "$v/$r (medians of $runs): fan-out deliveries/s $(ratio "$(median $v fanout deliveries_per_s)" "$(median $r fanout deliveries_per_s)")," \
		"fan-out CPU $(ratio "$(median $v fanout cpu_ms)" "$(median $r fanout cpu_ms)")," \
		"churn/s $(ratio "$(median $v churn cycles_per_s)" "$(median $r churn cycles_per_s)")," \
		"churn per CPU s $(ratio "$(median $v churn cycles_per_cpu_s)" "$(median $r churn cycles_per_cpu_s)")"
done
