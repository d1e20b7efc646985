#!/usr/bin/env bash
# ci/layers.sh: the parts of harness/ include only what is below them
# (harness/README.md): role/ nothing but internal.h, core/ role/, the
# commands (campaign/, bench/, audit/) core/ and role/, cli/ anything.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A allowed=(
	[role]="role"
	[core]="core role"
	[campaign]="campaign core role"
	[bench]="bench core role"
	[audit]="audit core role"
	[cli]="cli campaign bench audit core role"
)
bad=0
for part in "${!allowed[@]}"; do
	while IFS=: read -r file line text; do
		dir=$(sed -n 's/.*#include "\([a-z_]*\)\/.*/\1/p' <<<"$text")
		[ -n "$dir" ] || continue
		case " ${allowed[$part]} " in *" $dir "*) continue ;; esac
		echo "ci/layers.sh: $file:$line: $part/ includes $dir/, a part above it or beside it"
		bad=1
	done < <(grep -Hn '#include "' harness/"$part"/*.[ch])
done
# Scenarios are written as a user's would be: the public header only.
if grep -Hn '#include "' scenarios/*.c | grep -v '"ipchaos.h"'; then
	echo "ci/layers.sh: a scenario includes more than ipchaos.h"
	bad=1
fi
((bad == 0)) && echo "ci/layers.sh: every part includes only what is below it"
exit "$bad"
