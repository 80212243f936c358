// The defaults table of docs/configuration.md is generated from the options types: it must be
// current, and the documented defaults must be the ones the code applies.

import assert from "node:assert/strict";
import {
  collectDefaults,
  normalizedSection,
  renderDefaultsTable,
  replaceSection,
} from "../../scripts/defaults_table.ts";
import { DEFAULT_LIMITS } from "../../src/hub/options.ts";

const CONFIGURATION = new URL("../../docs/configuration.md", import.meta.url);
const rows = await collectDefaults();

Deno.test("defaults table in docs/configuration.md is up to date (deno run -A scripts/defaults_table.ts)", async () => {
  const docs = await Deno.readTextFile(CONFIGURATION);
  assert.equal(normalizedSection(docs), normalizedSection(renderDefaultsTable(rows)));
});

Deno.test("defaults table names the limits a client author must stay under", () => {
  const options = rows.map((r) => r.option);
  for (
    const name of [
      "limits.messageRate",
      "limits.messageBurst",
      "limits.maxViolations",
      "limits.violationWindowMs",
      "limits.connectRatePerIp",
      "limits.connectBurstPerIp",
      "auth.clockToleranceSec",
    ]
  ) assert.ok(options.includes(name), name);
});

Deno.test("defaults table keeps an object default whole (deno doc cuts it at its first closing brace)", () => {
  const node = rows.find((r) => r.option === "node");
  assert.ok(node !== undefined);
  assert.match(node.value, /^\{.*answerTimeoutMs: \d+ \}$/);
  for (const row of rows) {
    const open = row.value.split("{").length, close = row.value.split("}").length;
    assert.equal(open, close, `${row.option}: ${row.value}`);
  }
});

Deno.test("defaults table @default of every limit is the value the hub applies", () => {
  for (const [name, value] of Object.entries(DEFAULT_LIMITS)) {
    const row = rows.find((r) => r.option === `limits.${name}`);
    assert.ok(row, `limits.${name} has no @default`);
    assert.equal(Number(row.value.replace(/_/g, "")), value, `limits.${name}`);
  }
});

Deno.test("defaults table check notices a stale row and a missing section", () => {
  const section = renderDefaultsTable(rows);
  const readme = replaceSection(
    `# x\n${section.split("\n")[0]}\n${section.split("\n").at(-1)}\n`,
    section,
  );
  assert.equal(normalizedSection(readme), normalizedSection(section));
  const stale = readme.replace("| `limits.messageRate` | `100`", "| `limits.messageRate` | `50`");
  assert.notEqual(stale, readme);
  assert.notEqual(normalizedSection(stale), normalizedSection(section));
  assert.throws(() => replaceSection("# no marks", section), /has no/);
});
