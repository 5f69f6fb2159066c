#!/bin/sh
# Go benchmarks of several trees (commits checked out with git worktree),
# run in turns so the machine's other load falls on each alike; prints
# the median ns/op of each benchmark per tree and its ratio to the first.
#
#   bench/gocompare.sh RUNS PKG BENCH_REGEX BENCHTIME TREE...
#   bench/gocompare.sh 6 ./commands 'ChannelPrivmsg|RegistrationCycle' 2s /work/wt-ref /work/wt-cluster
#
# Raw lines: /tmp/chatd-gocompare.txt (or $OUT).
set -u
runs=$1 pkg=$2 regex=$3 benchtime=$4
shift 4
out=${OUT:-/tmp/chatd-gocompare.txt}
: >"$out"
i=0
for tree in "$@"; do
	(cd "$tree" && go test -c -o "/tmp/gocompare-$i.test" "$pkg") || exit 1
	i=$((i + 1))
done
r=1
while [ "$r" -le "$runs" ]; do
	i=0
	for tree in "$@"; do
		(cd "$tree/$pkg" && "/tmp/gocompare-$i.test" -test.run '^$' -test.bench "$regex" -test.benchtime "$benchtime") |
			grep '^Benchmark' | sed "s|^|tree=$i |" | tee -a "$out"
		i=$((i + 1))
	done
	r=$((r + 1))
done
echo
i=0
for tree in "$@"; do
	echo "tree $i: $tree ($(git -C "$tree" log --oneline -1 | cut -c1-60))"
	i=$((i + 1))
done
for bench in $(awk '{print $2}' "$out" | sort -u); do
	base=
	i=0
	for tree in "$@"; do
		med=$(grep "^tree=$i $bench " "$out" | awk '{for (f = 1; f <= NF; f++) if ($(f + 1) == "ns/op") print $f}' |
			sort -g | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]}')
		if [ -z "$med" ]; then
			i=$((i + 1))
			continue
		fi
		[ -z "$base" ] && base=$med
		printf '%-45s tree %d: %12s ns/op  ratio %s\n' "$bench" "$i" "$med" "$(awk "BEGIN {printf \"%.3f\", $med/$base}")"
		i=$((i + 1))
	done
done
