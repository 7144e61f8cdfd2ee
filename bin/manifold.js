#!/usr/bin/env node
// The installed entry: the compiled CLI. `npm ci` (prepare) or `npm run build` makes dist/.
import '../dist/cli/bin.js';
