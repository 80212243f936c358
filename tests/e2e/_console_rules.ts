// The rules the console e2e test and the screenshot script start the hub with.

export const CONSOLE_RULES = [
  { id: "chat", effect: "allow", actions: ["subscribe", "publish"], topics: ["chat:*"] },
  { id: "no-announce", effect: "deny", actions: ["publish"], topics: ["chat:announce"] },
];
