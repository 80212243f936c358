// The publish and send-to-user forms, both through the admin API.

import { type Api, parseJson } from "./_api.ts";
import { byId } from "./_dom.ts";

/** Wires both forms to the page. */
export function wireSendForms(api: () => Api | undefined): void {
  const say = (id: string, text: string, bad = false) => {
    const out = byId(id);
    out.textContent = text;
    out.className = bad ? "bad" : "good";
  };

  byId("publish-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const client = api();
    if (client === undefined) return;
    const parsed = parseJson(byId("publish-payload").value, "Payload");
    if (!parsed.ok) return say("publish-result", parsed.message, true);
    const topic = byId("publish-topic").value;
    const event = byId("publish-event").value;
    const answer = await client.call("POST", "/broadcast", {
      topic,
      payload: parsed.value,
      ...(event === "" ? {} : { event }),
    });
    if (!answer.ok) return say("publish-result", `Not published: ${answer.message}`, true);
    say("publish-result", `Published to '${topic}': ${preview(parsed.value)}`);
  });

  byId("user-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const client = api();
    if (client === undefined) return;
    const parsed = parseJson(byId("user-payload").value, "Payload");
    if (!parsed.ok) return say("user-result", parsed.message, true);
    const user = byId("user-id").value;
    const answer = await client.call("POST", `/send/${encodeURIComponent(user)}`, {
      event: byId("user-event").value,
      payload: parsed.value,
    });
    if (!answer.ok) return say("user-result", `Not sent: ${answer.message}`, true);
    const n = (answer.body as { reached: number }).reached;
    say(
      "user-result",
      `Sent to '${user}' on every node: ${n} connection${
        n === 1 ? "" : "s"
      } reached on this node: ${preview(parsed.value)}`,
    );
  });
}

/** The payload as sent, shortened: shown as text, so markup in it stays inert. */
function preview(payload: unknown): string {
  const text = JSON.stringify(payload);
  return text.length > 200 ? text.slice(0, 199) + "…" : text;
}
