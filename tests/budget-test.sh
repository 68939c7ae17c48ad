#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# budget-test.sh BINARY MAX_BYTES LIB...: koompi-init goes into every image; it may not grow past
# its budget nor need a shared library beyond the ones listed.
set -u
bin=$1 max=$2; shift 2
pass=0 fail=0
size=$(stat -c %s "$bin")
if [ "$size" -le "$max" ]; then
	pass=$((pass + 1)); echo "ok: $bin is $size bytes (budget $max)"
else
	fail=$((fail + 1)); echo "FAIL: $bin is $size bytes, over its budget of $max: what grew? (size -A $bin)"
fi
extra=""
for lib in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
	case " $* " in *" $lib "*) ;; *) extra="$extra $lib" ;; esac
done
if [ -z "$extra" ]; then
	pass=$((pass + 1)); echo "ok: $bin needs only:$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/ \1/p' | tr -d '\n')"
else
	fail=$((fail + 1)); echo "FAIL: $bin needs libraries beyond its budget:$extra"
fi
echo "budget: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
