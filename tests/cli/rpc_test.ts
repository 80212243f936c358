// realtime-cli rpc against a real hub on 127.0.0.1 with a registered method:
// the result printed as JSON, a refusal's code as the exit status.

import assert from "node:assert/strict";
import { HubError } from "../../src/protocol/errors.ts";
import { eachTransport, startTestHub } from "../_support/hub.ts";
import { baseEnv, runCli } from "./_cli.ts";

eachTransport("realtime-cli rpc prints the result and exits with the refusal's code", async (t) => {
  await using h = await startTestHub(t);
  h.hub.rpc(
    "orders.get",
    ({ data, principal }) => ({ id: (data as { id: number }).id, for: principal.sub }),
  );
  h.hub.rpc("orders.delete", () => {
    throw new HubError("FORBIDDEN", "Cannot delete orders");
  });
  const env = baseEnv({ REALTIME_URL: h.url, REALTIME_TOKEN: await h.token({ sub: "alice" }) });
  const ok = await runCli(["rpc", "orders.get", '{"id":42}'], { env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { id: 42, for: "alice" });
  const refused = await runCli(["rpc", "orders.delete"], { env });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /Cannot call 'orders.delete': Cannot delete orders \(FORBIDDEN\)/);
  const unknown = await runCli(["rpc", "orders.nope"], { env });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no such method \(BAD_REQUEST\)/);
});
