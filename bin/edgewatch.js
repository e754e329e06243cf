#!/usr/bin/env node
'use strict';
require('../dist/cli/main.js').main(process.argv).catch((err) => {
  process.stderr.write(`edgewatch: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(2);
});
