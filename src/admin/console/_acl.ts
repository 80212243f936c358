// The ACL panel: explain one decision with the hub's own engine (the rule
// that made it), and view, lint and replace the rules. Apply stays disabled
// until the exact text in the editor was checked with no errors, and asks
// for a confirmation.

import type { AclLintIssue } from "../../acl/lint.ts";
import { type Api, parseJson } from "./_api.ts";
import { confirmAction } from "./_confirm.ts";
import { byId, el } from "./_dom.ts";

/** The panel. */
export interface AclPanel {
  /** Loads the rules in force into the editor. */
  load(): Promise<void>;
  /** Offers these users in the picker (from the connections table). */
  users(users: readonly string[]): void;
  clear(): void;
}

/** Wires the panel to the page. */
export function createAclPanel(api: () => Api | undefined): AclPanel {
  const result = byId("explain-result");
  const claims = byId("explain-claims");
  const pick = byId("explain-pick");
  const editor = byId("rules-json");
  const apply = byId("rules-apply");
  const summary = byId("rules-summary");
  const issuesList = byId("rules-issues");
  let checked: string | undefined;
  let offered = "";

  function explainSays(text: string, decision: "allowed" | "denied" | "") {
    result.textContent = text;
    result.dataset.decision = decision;
  }

  byId("explain-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const client = api();
    if (client === undefined) return;
    const parsed = parseJson(claims.value, "Claims");
    if (!parsed.ok) return explainSays(parsed.message, "");
    const answer = await client.call("POST", "/acl/explain", {
      claims: parsed.value,
      action: byId("explain-action").value,
      topic: byId("explain-topic").value,
    });
    if (!answer.ok) return explainSays(`Cannot explain: ${answer.message}`, "");
    const d = answer.body as { allowed: boolean; message: string };
    // The engine's message starts with the verdict: "denied by rule #1 'x' (...)".
    const text = d.message.charAt(0).toUpperCase() + d.message.slice(1);
    explainSays(text, d.allowed ? "allowed" : "denied");
  });

  pick.addEventListener("change", () => {
    if (pick.value !== "") claims.value = JSON.stringify({ sub: pick.value }, null, 1);
  });

  function says(text: string, bad = false): void {
    summary.textContent = text;
    summary.className = bad ? "bad" : "";
  }

  editor.addEventListener("input", () => {
    apply.disabled = true;
    checked = undefined;
    issuesList.replaceChildren();
    says("Changed: check the rules before applying them");
  });

  async function load(): Promise<void> {
    const client = api();
    if (client === undefined) return;
    const answer = await client.call("GET", "/rules");
    if (!answer.ok) return says(`Cannot read the rules: ${answer.message}`, true);
    editor.value = formatRules((answer.body as { rules: unknown[] }).rules);
    apply.disabled = true;
    checked = undefined;
    issuesList.replaceChildren();
    const text = editor.value;
    says(
      text.includes('"fingerprint"')
        ? "The rules in force: secret signing keys show as their fingerprint; keep it to keep the key"
        : "The rules in force",
    );
  }

  byId("rules-reload").addEventListener("click", () => void load());

  byId("rules-check").addEventListener("click", async () => {
    const client = api();
    if (client === undefined) return;
    const text = editor.value;
    const parsed = parseJson(text, "Rules");
    if (!parsed.ok) return says(parsed.message, true);
    const answer = await client.call("POST", "/rules/check", { rules: parsed.value });
    if (!answer.ok) return says(`Cannot check: ${answer.message}`, true);
    const lint = answer.body as {
      rules: number;
      errors: number;
      warnings: number;
      issues: AclLintIssue[];
    };
    issuesList.replaceChildren(...lint.issues.map((issue) => {
      const li = el("li", `${issue.severity}: ${issue.message}`);
      li.dataset.severity = issue.severity;
      return li;
    }));
    const counts = `${plural(lint.rules, "rule")} checked: ${plural(lint.errors, "error")}, ${
      plural(lint.warnings, "warning")
    }`;
    if (lint.errors > 0) {
      apply.disabled = true;
      checked = undefined;
      return says(`${counts}. Fix the errors before applying.`, true);
    }
    checked = text;
    apply.disabled = false;
    says(`${counts}. Ready to apply.`);
  });

  apply.addEventListener("click", async () => {
    const client = api();
    const text = editor.value;
    if (client === undefined || checked !== text) return;
    const parsed = parseJson(text, "Rules");
    if (!parsed.ok) return says(parsed.message, true);
    const n = Array.isArray(parsed.value) ? parsed.value.length : 0;
    const ok = await confirmAction(
      `Replace the rules in force with these ${n} rules? Every live subscription is re-checked and those no longer allowed end.`,
      "Apply rules",
    );
    if (!ok) return;
    const answer = await client.call("PUT", "/rules", { rules: parsed.value });
    if (!answer.ok) return says(`Not applied: ${answer.message}`, true);
    apply.disabled = true;
    checked = undefined;
    says(`Applied: ${(answer.body as { rules: number }).rules} rules in force`);
  });

  return {
    load,
    users(users) {
      const key = users.join("\n");
      if (key === offered) return;
      offered = key;
      const keep = pick.value;
      const first = el("option", "(paste claims below)");
      first.setAttribute("value", "");
      pick.replaceChildren(
        first,
        ...users.map((u) => {
          const option = el("option", u);
          option.setAttribute("value", u);
          return option;
        }),
      );
      pick.value = users.includes(keep) ? keep : "";
    },
    clear() {
      editor.value = "";
      apply.disabled = true;
      checked = undefined;
      issuesList.replaceChildren();
      says("");
      explainSays("", "");
      offered = "";
    },
  };
}

/** One rule per line: a rule list reads like a table. */
export function formatRules(rules: readonly unknown[]): string {
  return rules.length === 0 ? "[]" : `[\n  ${rules.map((r) => JSON.stringify(r)).join(",\n  ")}\n]`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
