#!/bin/sh
# Print the packages of the named sections of debian-packages.txt, one a line:
#   sh deploy/debian-packages.sh runtime [test]
# With --missing, only those dpkg does not report installed (an empty answer: nothing to do).
set -eu
list="$(dirname "$0")/debian-packages.txt"
missing=false
if [ "${1:-}" = "--missing" ]; then missing=true; shift; fi
for section in "$@"; do
    awk -v want="[$section]" '
        { sub(/#.*/, "") }
        /^\[/ { on = ($1 == want); next }
        on && NF { print $1 }
    ' "$list"
done | while read -r package; do
    if $missing && dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
        continue
    fi
    echo "$package"
done
