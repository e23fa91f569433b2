#!/usr/bin/env node
// The checkout's `cutover` command: runs the build in dist/ (made by `npm ci` through `prepare`).
import "../../dist/src/cli/main.js";
