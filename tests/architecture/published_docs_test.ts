// What `deno publish` ships must hold what the README and the published docs
// link to (pages, pictures, headings), so the package's front page and manual
// work on JSR as they do in the repository. The file set is read from
// `deno publish --dry-run`, which needs no network.

import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The files `deno publish` would upload, relative to the root. */
async function publishedFiles(): Promise<Set<string>> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty", "--no-check"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assert.ok(output.success, text);
  const prefix = `file://${ROOT}/`;
  return new Set(
    [...text.matchAll(/^\s+(file:\/\/\S+)/gm)].map((m) => m[1].slice(prefix.length)),
  );
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The anchors of a Markdown file's headings (outside code blocks). */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.+)$/.exec(line);
    if (heading) found.add(slug(heading[1]));
  }
  return found;
}

Deno.test("the published README and docs link only to published files and headings", async () => {
  const files = await publishedFiles();
  assert.ok(files.has("README.md") && files.has("docs/protocol.md"), [...files].join("\n"));
  const pages = [...files].filter((file) => file.endsWith(".md"));
  const broken: string[] = [];
  for (const page of pages) {
    const text = await Deno.readTextFile(join(ROOT, page));
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split("#");
      const file = path === "" ? page : normalize(join(dirname(page), path));
      if (!files.has(file)) {
        broken.push(`${page}: ${target} (not published)`);
      } else if (anchor !== undefined && file.endsWith(".md")) {
        const headings = anchors(await Deno.readTextFile(join(ROOT, file)));
        if (!headings.has(anchor)) broken.push(`${page}: ${target} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
