#!/usr/bin/env node
// The executable entry (compiled to dist/cli/bin.js; bin/manifold.js loads it).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
