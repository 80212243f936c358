// deno-lint-ignore-file no-console
// deno task test [--setup-only] [--no-setup] [DENO TEST FLAGS ...]
//
// The README's test command, the one `.ci/run` calls too. It first makes sure
// the system has what the tests start as real servers and peers (Redis,
// PostgreSQL, Chromium, Debian's Python libraries): as root with apt-get it
// installs what is missing; elsewhere it prints the exact command to run and
// goes on, so the tests that need the missing part fail saying so. Then it
// runs the three parts of the suite in turn, each on its own so it has the
// machine's cores to itself:
//
// - `deno task test:unit`: every *_test.ts file and the documentation examples, in parallel;
// - `deno task test:soak`: a short bounded soak (tests/soak/short_soak.ts);
// - `deno task e2e`: the browser end-to-end tests in Chromium.
//
// Flags it does not know (for example `--cached-only`) are passed to every
// part. It ends with one line, `N passed, N failed`, summed from the parts'
// own summaries, and exits non-zero when any part failed or gave no summary.

import { aptPackages, missingDeps, postgresBin, type SystemDep } from "./_system_deps.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** The parts of the suite, in order, with a bound on each. */
const PARTS: readonly { task: string; timeoutMs: number }[] = [
  { task: "test:unit", timeoutMs: 20 * 60_000 },
  { task: "test:soak", timeoutMs: 5 * 60_000 },
  { task: "e2e", timeoutMs: 10 * 60_000 },
];

/** Counts read off one `deno test` summary line. */
export interface Summary {
  passed: number;
  failed: number;
  ignored: number;
}

const SUMMARY_RE =
  /^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored)?/m;

// deno test colours its summary on a terminal.
// deno-lint-ignore no-control-regex
const ANSI_RE = /\x1b\[[0-9;]*m/g;

/** The last `deno test` summary in `text`, or `undefined` when there is none. */
export function readSummary(text: string): Summary | undefined {
  let last: Summary | undefined;
  for (const line of text.replace(ANSI_RE, "").split("\n")) {
    const match = SUMMARY_RE.exec(line);
    if (match) {
      last = { passed: Number(match[1]), failed: Number(match[2]), ignored: Number(match[3] ?? 0) };
    }
  }
  return last;
}

function run(cmd: string, args: string[]): boolean {
  const status = new Deno.Command(cmd, { args, stdin: "null" }).outputSync();
  return status.success;
}

/** Installs what is missing where it can; returns what is still missing. */
function setUp(): SystemDep[] {
  const missing = missingDeps();
  if (missing.length === 0) return [];
  const packages = aptPackages(missing);
  const canApt = Deno.uid() === 0 && run("sh", ["-c", "command -v apt-get"]);
  if (canApt) {
    console.log(`setting up: apt-get install ${packages.join(" ")}`);
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    const update = new Deno.Command("apt-get", { args: ["update", "-qq"], env, stdin: "null" })
      .outputSync();
    const install = update.success &&
      new Deno.Command("apt-get", {
        args: ["install", "-y", "-qq", ...packages],
        env,
        stdin: "null",
      }).outputSync().success;
    if (!install) console.log("setting up: apt-get failed");
  }
  const still = missingDeps(missing);
  if (still.length > 0) {
    console.log("\nThe tests need these, which are missing:");
    for (const dep of still) console.log(`  - ${dep.what}, for ${dep.neededBy}`);
    console.log(
      `On Debian or Ubuntu, install them with:\n  sudo apt-get install -y ${
        aptPackages(still).join(" ")
      }\n`,
    );
  }
  return still;
}

/** Runs one part, echoing its output, and returns its summary (if it printed one). */
async function runPart(
  task: string,
  passThrough: string[],
  timeoutMs: number,
  env: Record<string, string>,
): Promise<{ summary?: Summary; ok: boolean }> {
  console.log(`\n=== deno task ${task} ${passThrough.join(" ")}`.trimEnd());
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", task, ...passThrough],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    console.log(`\n${task} ran past ${timeoutMs / 1000} s: stopping it`);
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, timeoutMs);
  // Only the tail is kept to find the summary: the whole log can be large.
  let tail = "";
  const keep = (chunk: Uint8Array) => {
    tail = (tail + new TextDecoder().decode(chunk)).slice(-64 * 1024);
  };
  const pump = async (stream: ReadableStream<Uint8Array>, out: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      keep(chunk);
      await out.write(chunk);
    }
  };
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, Deno.stdout),
    pump(child.stderr, Deno.stderr),
  ]);
  clearTimeout(timer);
  const summary = readSummary(tail);
  if (summary === undefined) console.log(`${task}: no test summary found`);
  return { summary, ok: status.success && summary !== undefined };
}

async function main(): Promise<number> {
  const args = Deno.args;
  const setupOnly = args.includes("--setup-only");
  const noSetup = args.includes("--no-setup");
  const passThrough = args.filter((arg) => arg !== "--setup-only" && arg !== "--no-setup");
  const stillMissing = noSetup ? [] : setUp();
  if (setupOnly) return stillMissing.length === 0 ? 0 : 1;

  // Debian keeps initdb and postgres off the PATH.
  const pg = postgresBin();
  const path = Deno.env.get("PATH") ?? "";
  const env: Record<string, string> = pg === undefined ? {} : { PATH: `${pg}:${path}` };

  const total: Summary = { passed: 0, failed: 0, ignored: 0 };
  let broken = 0;
  for (const part of PARTS) {
    const { summary, ok } = await runPart(part.task, passThrough, part.timeoutMs, env);
    if (summary !== undefined) {
      total.passed += summary.passed;
      total.failed += summary.failed;
      total.ignored += summary.ignored;
    }
    if (!ok) broken++;
  }
  // A part that failed without a failing test (no summary, a crash, a time-out) counts once.
  if (broken > 0 && total.failed === 0) total.failed = broken;
  const skipped = total.ignored > 0 ? `, ${total.ignored} skipped` : "";
  console.log(`\n${total.passed} passed, ${total.failed} failed${skipped}`);
  return broken === 0 && total.failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
