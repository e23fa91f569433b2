#!/bin/sh
# Stand-in for your real cleanup command (docs/ci.md): prints what it would do.
set -eu
echo "cleanup: $*"
