/**
 * The demo page's markup and styles. Nothing inline: the page is served
 * with a Content-Security-Policy that allows only same-origin scripts and
 * styles.
 *
 * @module
 */

/** Marker in {@linkcode DEMO_HTML} replaced by `true` when dev tokens can be minted. */
export const DEV_MARKER = "__DEV_MINT__";

/** The demo page. */
export const DEMO_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>realtime hub demo</title>
<link rel="stylesheet" href="/demo.css">
<script type="module" src="/assets/demo.js"></script>
</head>
<body data-dev="${DEV_MARKER}">
<header>
  <h1>realtime hub</h1>
  <span id="state" data-state="idle" data-opens="0" data-refreshes="0">idle</span>
  <span id="who"></span>
</header>
<p id="loading">Loading the client script&hellip;</p>
<main>
  <section id="token-panel">
    <div id="account" data-user="" data-accounts="unknown">
      <h2>Account</h2>
      <p id="account-status" role="status">Checking for a session&hellip;</p>
      <div id="account-forms">
      <form id="account-form">
        <label>Username <input id="account-username" autocomplete="username" maxlength="64" required></label>
        <label>Password <input id="account-password" type="password" autocomplete="current-password" maxlength="256" required></label>
        <div><button id="login">Log in</button></div>
      </form>
      <form id="signup-form">
        <label>New username <input id="signup-username" autocomplete="username" maxlength="64" required></label>
        <label>New password <input id="signup-password" type="password" autocomplete="new-password" maxlength="256" required></label>
        <div><button id="signup">Sign up</button></div>
      </form>
      </div>
      <p id="account-error" role="alert"></p>
      <button type="button" id="logout">Log out</button>
    </div>
    <h2>Token</h2>
    <label class="transport"><input type="checkbox" id="use-sse"> Use Server-Sent Events instead of WebSocket</label>
    <form id="mint-form" class="dev-only">
      <label>User <input id="mint-sub" value="alice" maxlength="64" required></label>
      <label>Lifetime (s) <input id="mint-ttl" type="number" value="3600" min="5" max="86400"></label>
      <button id="mint">Mint dev token &amp; connect</button>
    </form>
    <form id="token-form">
      <label for="token">Or paste a token</label>
      <textarea id="token" rows="2" spellcheck="false" placeholder="eyJhbGciOi..."></textarea>
      <div><button id="connect">Connect</button>
      <button type="button" id="disconnect">Disconnect</button></div>
    </form>
  </section>
  <section id="topics-panel">
    <h2>Subscribe</h2>
    <form id="subscribe-form">
      <input id="subscribe-topic" value="chat:lobby" aria-label="Topic or pattern">
      <button id="subscribe">Subscribe</button>
    </form>
    <ul id="subscriptions"></ul>
    <h2>Online</h2>
    <ul id="online"></ul>
    <h2>Publish</h2>
    <form id="publish-form">
      <input id="publish-topic" value="chat:lobby" aria-label="Topic">
      <input id="publish-text" placeholder="Say something" aria-label="Message">
      <button id="publish">Send</button>
    </form>
  </section>
  <section id="log-panel">
    <h2>Log <button type="button" id="clear-log">clear</button></h2>
    <ol id="log"></ol>
  </section>
</main>
</body>
</html>
`;

/** The demo page's styles. */
export const DEMO_CSS = `:root { color-scheme: light; --line: #d7dbe0; --muted: #5b6470; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #1d232a; background: #f6f7f9; }
header { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; padding: 10px 16px; background: #1d232a; color: #fff; }
h1 { font-size: 16px; margin: 0; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 8px; }
#state { padding: 2px 10px; border-radius: 10px; font-weight: 600; background: #59636e; }
#state[data-state="open"] { background: #1f883d; }
#state[data-state="connecting"], #state[data-state="reconnecting"] { background: #bf8700; }
#state[data-state="closed"] { background: #cf222e; }
#who { color: #c9d1d9; font-size: 12px; overflow-wrap: anywhere; }
#loading { margin: 16px; color: var(--muted); }
body.ready #loading { display: none; }
main { display: grid; grid-template-columns: 300px minmax(0, 1fr); gap: 12px; padding: 12px; }
/* A phone gets one column; nothing may be wider than the screen. */
@media (max-width: 640px) { main { grid-template-columns: minmax(0, 1fr); padding: 8px; } }
section { min-width: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px; }
#log-panel { grid-column: 1 / -1; }
form { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 10px; }
label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
input, textarea { font: inherit; min-width: 0; max-width: 100%; padding: 4px 6px; border: 1px solid var(--line); border-radius: 4px; }
textarea { width: 100%; font: 11px/1.3 ui-monospace, monospace; }
#mint-ttl { width: 90px; }
#publish-text { flex: 1; }
button { font: inherit; padding: 4px 10px; border: 1px solid #1f6feb; border-radius: 4px; background: #1f6feb; color: #fff; cursor: pointer; }
button[type="button"] { background: #fff; color: #1f6feb; }
body[data-dev="false"] .dev-only { display: none; }
#account { border-bottom: 1px solid var(--line); margin-bottom: 10px; }
#account-status { margin: 0 0 8px; }
#account-error { color: #cf222e; margin: 0 0 8px; }
#account-error:empty { display: none; }
#account:not([data-user=""]) #account-forms, #account[data-user=""] #logout,
#account[data-accounts="off"] #account-forms { display: none; }
#logout { margin-bottom: 10px; }
#online { list-style: none; padding: 0; margin: 0 0 12px; color: var(--muted); overflow-wrap: anywhere; }
#subscriptions { list-style: none; padding: 0; margin: 0 0 12px; display: flex; flex-wrap: wrap; gap: 6px; }
#subscriptions li { border: 1px solid var(--line); border-radius: 12px; padding: 1px 4px 1px 10px; }
#subscriptions li button { padding: 0 6px; margin-left: 4px; background: none; border: 0; color: var(--muted); }
#log { list-style: none; margin: 0; padding: 0; max-height: 320px; overflow: auto; font: 12px/1.5 ui-monospace, monospace; }
#log li { border-bottom: 1px solid #eef0f2; padding: 1px 0; overflow-wrap: anywhere; }
#log time { color: var(--muted); margin-right: 8px; }
#log .kind { display: inline-block; min-width: 92px; font-weight: 600; }
#log [data-kind="message"] .kind { color: #1f6feb; }
#log [data-kind="error"] .kind { color: #cf222e; }
#log [data-kind="recovery"] .kind { color: #9a6700; }
#log [data-kind="state"] .kind, #log [data-kind="refresh"] .kind { color: #8250df; }
`;
