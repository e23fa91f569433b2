#!/bin/sh
# Stand-in for your real swap command (docs/ci.md): prints what it would do.
set -eu
echo "swap: $*"
