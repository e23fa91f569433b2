#!/bin/sh
# Stand-in for your real deploy command (docs/ci.md): prints what it would do.
set -eu
echo "deploy: $*"
