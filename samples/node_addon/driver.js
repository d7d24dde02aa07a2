// Reads the input file named on the command line and tokenizes each line with
// the addon, which harness puts on NODE_PATH (build/<cc>-<profile>/node_addon/).
'use strict';
const fs = require('fs');
const addon = require('tokenize.node');

const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n');
for (const line of lines) {
  if (line.length > 0) {
    console.log(JSON.stringify(addon.tokenize(line)));
  }
}
