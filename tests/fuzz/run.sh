#!/bin/sh
# Runs fuzz targets (the libFuzzer build) one after the other, each for SECONDS on a copy of its
# seed corpus and its recorded crashes, and prints what each did. Fails when one found a
# crash, a leak, undefined behaviour, an input slower than 1 s or one using over 2 GiB; the
# input is then in BIN_DIR/artifacts/NAME/. FUZZ_ARGS adds libFuzzer options (-runs=N, ...).
# Usage: run.sh BIN_DIR SECONDS NAME...
set -u
dir=$1; seconds=$2; shift 2
here=$(dirname "$0")
bad=""
# A quarantine of 16 MiB instead of 256: freed blocks are unmapped as often, in smaller batches;
# a whole 256 MiB at once took longer on a busy machine than the second an input may take, and
# libFuzzer reported that pause as a slow input.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:quarantine_size_mb=16}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for name in "$@"; do
	work="$dir/corpus/$name"; art="$dir/artifacts/$name"
	mkdir -p "$work" "$art"
	log="$dir/fuzz-$name.log"
	seeds="$here/corpus/$name"
	[ -d "$here/crashes/$name" ] && seeds="$seeds $here/crashes/$name"
	# shellcheck disable=SC2086
	"$dir/fuzz-$name" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 -error_exitcode=77 \
		-timeout_exitcode=78 -print_final_stats=1 -artifact_prefix="$art/" ${FUZZ_ARGS:-} \
		"$work" $seeds >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	line=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n1)
	cov=$(printf '%s\n' "$line" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$line" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	slowest=$(sed -n 's/^stat::slowest_unit_time_sec: *//p' "$log" | tail -n1)
	if [ "$rc" -eq 0 ]; then
		echo "fuzz: $name: ${runs:-?} runs, cov: ${cov:-?} ft: ${ft:-?}, slowest input ${slowest:-?} s"
	else
		echo "fuzz: $name: FAILED (exit $rc) after ${runs:-?} runs, cov: ${cov:-?} ft: ${ft:-?}; see $log and $art/"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*check failed)' "$log" | head -n5
		bad="$bad $name"
	fi
done
[ -z "$bad" ] || { echo "fuzz: failing:$bad" >&2; exit 1; }
