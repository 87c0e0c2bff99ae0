#!/usr/bin/env node
'use strict';
// Runs the TypeScript sources directly: tsx compiles them on load, no build step needed.
require('tsx/cjs/api').register();
require('../src/cli.ts');
