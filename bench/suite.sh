#!/bin/sh
# Runs the standard comparison set against one server, RUNS times each,
# printing the bench summary lines (stderr progress goes to suite.log).
#
#   bench/suite.sh ADDR [PID] [RUNS]
#
# PID (optional) is the server process for the idle RSS figure. For a
# clean RSS-per-connection number restart the server before each idle
# run instead (servers rarely return freed memory to the OS); this
# script does not restart anything.
set -u
addr=${1:?usage: suite.sh ADDR [PID] [RUNS]}
pid=${2:-}
runs=${3:-3}
cd "$(dirname "$0")/.." || exit 1
go build -o /tmp/chatd-bench ./bench || exit 1
b="/tmp/chatd-bench -addr $addr"
log=/tmp/chatd-bench-suite.log
: >"$log"
i=1
while [ "$i" -le "$runs" ]; do
	$b fanout -clients 200 -senders 10 -lines 1000 2>>"$log"
	$b fanout -clients 200 -senders 10 -lines 1000 -rate 100 2>>"$log"
	if [ -n "$pid" ]; then
		$b idle -n 2000 -pid "$pid" 2>>"$log"
	else
		$b idle -n 2000 2>>"$log"
	fi
	$b churn -workers 32 -duration 10s 2>>"$log"
	i=$((i + 1))
done
