// The demo page's account panel: sign-up, login and logout against the
// hub's `/auth` routes with an AccountsSession. The refresh token stays in
// the HttpOnly cookie and the access token in memory. Scripts cannot see
// that cookie, so a non-secret hint in localStorage says whether a reload
// should ask `/auth/refresh` for the session: a visitor who never signed in
// costs no request and no failed-request line in the console.

import { AccountsError, AccountsSession, type AccountsUser, RealtimeError } from "../client/mod.ts";
import type { DomElement } from "./_dom.ts";

/** The localStorage key of the signed-in hint (never a token). */
const HINT = "realtime.signedIn";

/** What the panel needs from the page. */
export interface AccountPanelDeps {
  /** The element with this id. */
  $(id: string): DomElement;
  /** Writes a log line. */
  write(kind: "info" | "error", text: string): void;
  /** Connects as the signed-in user. */
  connect(session: AccountsSession): void;
  /** The session ended: close the connection it made, if it still has one. */
  signedOut(): void;
}

/** Wires the panel and looks for an existing session. */
export function wireAccountPanel(deps: AccountPanelDeps): AccountsSession {
  const { $, write } = deps;
  const panel = $("account");
  const status = $("account-status");
  const errorEl = $("account-error");
  // Separate sign-up fields, so the password one can say `new-password`
  // (password managers offer a generated password there, a saved one at login).
  const fields = {
    login: { username: $("account-username"), password: $("account-password") },
    signup: { username: $("signup-username"), password: $("signup-password") },
  };
  const session = new AccountsSession({ baseUrl: "/auth" });
  const hint = globalThis.localStorage;

  function show(user: AccountsUser | undefined, text?: string): void {
    panel.dataset.user = user?.username ?? "";
    status.textContent = user === undefined
      ? text ?? "Not signed in"
      : `Signed in as ${user.username}`;
  }

  function fail(error: unknown): void {
    if (error instanceof AccountsError && error.code === "NOT_FOUND") {
      panel.dataset.accounts = "off";
      status.textContent = "Accounts are not enabled on this server";
    }
    const text = error instanceof AccountsError || error instanceof RealtimeError
      ? `${error.code}: ${error.message}`
      : `Cannot reach the accounts server: ${(error as Error).message}`;
    errorEl.textContent = text;
    write("error", text);
  }

  function signIn(action: "login" | "signup"): void {
    const { username, password } = fields[action];
    const name = username.value.trim();
    const secret = password.value;
    if (name === "" || secret === "") return fail(new Error("enter a username and a password"));
    errorEl.textContent = "";
    session[action](name, secret).then((user) => {
      password.value = "";
      write("info", `${action === "signup" ? "signed up" : "logged in"} as ${user.username}`);
      deps.connect(session);
    }, fail);
  }

  session.on("signedin", (user) => {
    hint.setItem(HINT, "1");
    show(user);
  });
  session.on("signedout", ({ reason, error }) => {
    hint.removeItem(HINT);
    show(undefined, reason === "logout" ? "Signed out" : `Signed out: ${error?.code ?? "refused"}`);
    deps.signedOut();
  });
  $("account-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn("login");
  });
  $("signup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn("signup");
  });
  $("logout").addEventListener("click", () => {
    session.logout().then(() => write("info", "logged out"), fail);
  });

  // A reload: the cookie may still hold a session.
  if (hint.getItem(HINT) !== "1") {
    show(undefined);
    return session;
  }
  session.getToken().then(() => deps.connect(session), (error: RealtimeError) => {
    if (!error.retry) hint.removeItem(HINT);
    show(undefined, error.retry ? "Cannot reach the accounts server" : "Not signed in");
  });
  return session;
}
