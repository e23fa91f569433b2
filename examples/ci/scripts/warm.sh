#!/bin/sh
# Stand-in for your real warm command (docs/ci.md): prints what it would do.
set -eu
echo "warm: $*"
