/**
 * The operator console's markup and styles. Nothing inline: the page is
 * served with a Content-Security-Policy allowing only same-origin scripts
 * and styles, and the script fills it with text only.
 *
 * @module
 */

/** Marker in {@linkcode CONSOLE_HTML} replaced by the mount path (HTML-escaped). */
export const MOUNT_MARKER = "__CONSOLE_MOUNT__";

/** Marker in {@linkcode CONSOLE_HTML} replaced by the admin API prefix (HTML-escaped). */
export const API_MARKER = "__ADMIN_API__";

const TILES: readonly [id: string, label: string][] = [
  ["connections", "Connections"],
  ["users", "Users"],
  ["topics", "Topics"],
  ["subscriptions", "Subscriptions"],
  ["messagesInPerSecond", "Messages in / s"],
  ["messagesOutPerSecond", "Messages out / s"],
];

const tiles = TILES.map(([id, label]) =>
  `    <div class="tile">
      <span class="tile-label" id="l-${id}">${label}</span>
      <output id="m-${id}" aria-labelledby="l-${id}">–</output>
      <svg id="s-${id}" class="spark" viewBox="0 0 100 24" preserveAspectRatio="none" role="img" aria-label="${label}, last 15 minutes"><path id="p-${id}" d=""></path></svg>
    </div>`
).join("\n");

/** The console page. */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>realtime hub console</title>
<link rel="stylesheet" href="${MOUNT_MARKER}/console.css">
<script type="module" src="${MOUNT_MARKER}/assets/console.js"></script>
</head>
<body data-api="${API_MARKER}" data-state="signed-out">
<a class="skip" href="#main">Skip to content</a>
<header>
  <h1>realtime hub console</h1>
  <span id="stream-state" role="status" data-state="idle">signed out</span>
  <button type="button" id="sign-out" class="ghost" hidden>Sign out</button>
</header>
<p id="loading">Loading the console script&hellip;</p>
<main id="main" tabindex="-1">
  <section id="signin-panel" aria-labelledby="signin-title">
    <h2 id="signin-title">Sign in</h2>
    <form id="signin-form" autocomplete="off">
      <label for="credential">Admin key or admin JWT</label>
      <input id="credential" type="password" required spellcheck="false" autocomplete="off">
      <button id="sign-in">Sign in</button>
      <p class="hint">Kept in this tab's memory only: reloading the page signs you out.</p>
      <p id="signin-error" role="alert"></p>
    </form>
  </section>
  <div id="console" hidden>
  <section id="overview" aria-labelledby="overview-title">
    <h2 id="overview-title">Overview <span id="uptime" class="muted"></span></h2>
    <div class="tiles">
${tiles}
    </div>
  </section>
  <section id="nodes-panel" aria-labelledby="nodes-title">
    <h2 id="nodes-title">Nodes <span id="nodes-caption" class="muted"></span></h2>
    <p id="nodes-served" class="muted"></p>
    <div class="scroll">
    <table id="nodes-table">
      <thead><tr><th scope="col">Node</th><th scope="col">Address</th><th scope="col">Version</th><th scope="col" class="num">Up</th><th scope="col" class="num">Conns</th><th scope="col" class="num">Users</th><th scope="col" class="num">Subs</th><th scope="col" class="num">Msgs in / out per s</th><th scope="col">Engine</th></tr></thead>
      <tbody id="nodes-body"></tbody>
    </table>
    </div>
  </section>
  <section id="connections-panel" aria-labelledby="connections-title">
    <h2 id="connections-title">Connections <span id="connections-caption" class="muted"></span></h2>
    <form id="connections-search-form" role="search">
      <label for="connections-node">Node</label>
      <select id="connections-node"><option value="">this node</option><option value="all">all nodes</option></select>
      <label for="connections-search">Search user, connection id or address</label>
      <input id="connections-search" type="search" spellcheck="false">
    </form>
    <p id="connections-status" role="status"></p>
    <div class="scroll">
    <table id="connections-table">
      <thead><tr><th scope="col">User</th><th scope="col">Node</th><th scope="col">Connection</th><th scope="col">Address</th><th scope="col">Transport</th><th scope="col" class="num">Subs</th><th scope="col" class="num">Age</th><th scope="col" class="num">Queued</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody id="connections-body"></tbody>
    </table>
    </div>
  </section>
  <section id="topics-panel" aria-labelledby="topics-title">
    <h2 id="topics-title">Topics <span id="topics-caption" class="muted"></span></h2>
    <form id="topics-search-form" role="search">
      <label for="topics-search">Filter topics</label>
      <input id="topics-search" type="search" spellcheck="false">
    </form>
    <div class="scroll">
    <table id="topics-table">
      <thead><tr><th scope="col">Topic or pattern</th><th scope="col" class="num">Subscribers</th></tr></thead>
      <tbody id="topics-body"></tbody>
    </table>
    </div>
    <div id="topic-detail" hidden aria-live="polite">
      <div class="row detail-head">
        <h3 id="topic-detail-title" class="mono"></h3>
        <button type="button" id="topic-detail-refresh" class="small ghost" aria-describedby="topic-detail-title">Refresh</button>
      </div>
      <div id="topic-detail-sections"></div>
    </div>
  </section>
  <section id="acl-panel" aria-labelledby="acl-title">
    <h2 id="acl-title">Access rules</h2>
    <form id="explain-form">
      <h3>Explain a decision</h3>
      <label for="explain-pick">Pick a connected user</label>
      <select id="explain-pick"><option value="">(paste claims below)</option></select>
      <label for="explain-claims">Claims (JSON)</label>
      <textarea id="explain-claims" rows="3" spellcheck="false">{"sub": "alice", "roles": []}</textarea>
      <div class="row">
        <label>Action <select id="explain-action">
          <option>subscribe</option><option>publish</option><option>presence</option><option>history</option>
        </select></label>
        <label>Topic <input id="explain-topic" value="chat:lobby" spellcheck="false" required></label>
        <button id="explain">Explain</button>
      </div>
      <p id="explain-result" role="status" data-decision=""></p>
    </form>
    <form id="rules-form">
      <h3>Rules in force</h3>
      <label for="rules-json">Rules (JSON array); check them before applying</label>
      <textarea id="rules-json" rows="10" spellcheck="false" wrap="off"></textarea>
      <div class="row">
        <button type="button" id="rules-reload" class="ghost">Reload</button>
        <button type="button" id="rules-check">Check</button>
        <button type="button" id="rules-apply" disabled>Apply&hellip;</button>
      </div>
      <p id="rules-summary" role="status"></p>
      <ul id="rules-issues"></ul>
    </form>
  </section>
  <section id="send-panel" aria-labelledby="send-title">
    <h2 id="send-title">Send</h2>
    <form id="publish-form">
      <h3>Publish to a topic</h3>
      <label for="publish-topic">Topic</label>
      <input id="publish-topic" value="chat:lobby" required spellcheck="false">
      <label for="publish-event">Event (optional)</label>
      <input id="publish-event" spellcheck="false">
      <label for="publish-payload">Payload (JSON)</label>
      <textarea id="publish-payload" rows="3" spellcheck="false">{"text": "hello from the console"}</textarea>
      <button id="publish">Publish</button>
      <p id="publish-result" role="status"></p>
    </form>
    <form id="user-form">
      <h3>Send to a user</h3>
      <label for="user-id">User</label>
      <input id="user-id" required spellcheck="false">
      <label for="user-event">Event</label>
      <input id="user-event" value="notice" required spellcheck="false">
      <label for="user-payload">Payload (JSON)</label>
      <textarea id="user-payload" rows="3" spellcheck="false">{"text": "hello"}</textarea>
      <button id="send-user">Send</button>
      <p id="user-result" role="status"></p>
    </form>
  </section>
  </div>
</main>
<dialog id="confirm-dialog" aria-labelledby="confirm-text">
  <form method="dialog">
    <p id="confirm-text"></p>
    <div class="row">
      <button value="cancel" id="confirm-no" class="ghost">Cancel</button>
      <button value="ok" id="confirm-yes" class="danger">Confirm</button>
    </div>
  </form>
</dialog>
</body>
</html>
`;

/** The console's styles: AA contrast, visible focus, one column under 760 px. */
export const CONSOLE_CSS =
  `:root { color-scheme: light; --line: #d0d7de; --muted: #57606a; --ink: #1f2328; --accent: #0969da; --bad: #cf222e; --good: #1a7f37; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--ink); background: #f6f8fa; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 2; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 16px; background: #1f2328; color: #fff; }
h1 { font-size: 16px; margin: 0; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 8px; }
h3 { font-size: 13px; margin: 4px 0 6px; }
.muted { color: var(--muted); text-transform: none; letter-spacing: 0; font-weight: 400; }
#stream-state { padding: 2px 10px; border-radius: 10px; font-weight: 600; background: #57606a; }
#stream-state[data-state="live"] { background: var(--good); }
#stream-state[data-state="connecting"] { background: #9a6700; }
#stream-state[data-state="error"] { background: var(--bad); }
#sign-out { margin-left: auto; color: #fff; border-color: #8c959f; background: transparent; }
#loading { margin: 16px; color: var(--muted); }
body.ready #loading { display: none; }
main { padding: 12px; }
main:focus { outline: none; }
#console { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
#overview, #connections-panel { grid-column: 1 / -1; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px; min-width: 0; }
#signin-panel { max-width: 420px; margin: 40px auto; }
body[data-state="signed-in"] #signin-panel { display: none; }
form { display: flex; flex-direction: column; gap: 4px; margin-bottom: 12px; }
.row { display: flex; flex-wrap: wrap; gap: 8px; align-items: flex-end; margin-top: 4px; }
label { font-size: 12px; color: var(--muted); display: flex; flex-direction: column; gap: 2px; }
input, textarea, select { font: inherit; padding: 5px 7px; border: 1px solid #8c959f; border-radius: 4px; color: var(--ink); background: #fff; }
textarea { font: 12px/1.4 ui-monospace, monospace; width: 100%; }
button { font: inherit; padding: 5px 12px; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; align-self: flex-start; }
button:disabled { background: #eaeef2; border-color: #d0d7de; color: #57606a; cursor: not-allowed; }
button.ghost { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
button.small { padding: 1px 8px; font-size: 12px; }
button.small.ghost.danger { background: #fff; color: var(--bad); }
:focus-visible { outline: 3px solid #fb8f44; outline-offset: 1px; }
.hint { font-size: 12px; color: var(--muted); margin: 4px 0 0; }
#signin-error, .bad { color: var(--bad); }
.good { color: var(--good); }
.tiles { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 8px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 8px; display: flex; flex-direction: column; }
.tile-label { font-size: 12px; color: var(--muted); }
.tile output { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.spark { width: 100%; height: 28px; overflow: visible; }
.spark path { fill: none; stroke: var(--accent); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.scroll { overflow-x: auto; max-height: 360px; overflow-y: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eaeef2; white-space: nowrap; }
th { position: sticky; top: 0; background: #fff; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td code, .mono { font: 12px ui-monospace, monospace; }
.badge { font-size: 0.75em; padding: 0 0.4em; border-radius: 0.6em; background: #ddf4ff; }
#nodes-body tr[data-state="down"] { color: #cf222e; }
#topics-body tr { cursor: pointer; }
#topics-body tr[aria-selected="true"] { background: #ddf4ff; }
#topic-detail { border-top: 1px solid var(--line); margin-top: 8px; padding-top: 6px; }
.detail-head { align-items: center; margin: 0; }
#topic-detail h4 { font-size: 12px; color: var(--muted); margin: 10px 0 4px; }
#topic-detail p { margin: 0 0 4px; }
#topic-detail .scroll { max-height: 240px; }
td.payload { white-space: normal; overflow-wrap: anywhere; min-width: 16ch; }
#explain-result { font-weight: 600; min-height: 1.4em; }
#explain-result[data-decision="allowed"] { color: var(--good); }
#explain-result[data-decision="denied"] { color: var(--bad); }
#rules-issues { margin: 0; padding-left: 18px; font-size: 13px; }
#rules-issues li[data-severity="error"] { color: var(--bad); }
#rules-issues li[data-severity="warning"] { color: #7d4e00; }
dialog { border: 1px solid var(--line); border-radius: 8px; max-width: 420px; }
dialog::backdrop { background: rgba(31, 35, 40, .45); }
@media (max-width: 760px) {
  #console { grid-template-columns: minmax(0, 1fr); }
  .tiles { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  header { gap: 6px; }
}
`;
