// A real, throw-away PostgreSQL server for tests: initdb into a temporary
// directory, postgres on a free loopback port with its socket in that
// directory, databases created and dropped per test, stopped by PID.
// As root the server runs as the `postgres` user through setpriv, which
// execs in place so the PID we hold is the postmaster's.

import postgres from "postgres";

export interface PostgresServer {
  port: number;
  /** Creates an empty database; returns its URL and a function that drops it. */
  createDatabase(): Promise<{ url: string; drop: () => Promise<void> }>;
  stop(): Promise<void>;
}

/** The PostgreSQL bin directory, or `undefined` when none is installed. */
export function findPostgresBin(): string | undefined {
  const fromEnv = Deno.env.get("PG_BIN");
  const candidates = fromEnv ? [fromEnv] : [];
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((e) => e.name)
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    // not installed here
  }
  return candidates.find((dir) => {
    try {
      return Deno.statSync(`${dir}/postgres`).isFile && Deno.statSync(`${dir}/initdb`).isFile;
    } catch {
      return false;
    }
  });
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function asUser(cmd: string, args: string[], uid?: number, gid?: number): Deno.Command {
  const options = { stdin: "null", stdout: "piped", stderr: "piped" } as const;
  if (uid === undefined) return new Deno.Command(cmd, { args, ...options });
  return new Deno.Command("setpriv", {
    args: [`--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--", cmd, ...args],
    ...options,
  });
}

function postgresIds(): [number, number] {
  const out = new Deno.Command("id", { args: ["-u", "postgres"] }).outputSync();
  const gid = new Deno.Command("id", { args: ["-g", "postgres"] }).outputSync();
  if (!out.success || !gid.success) {
    throw new Error("Cannot run PostgreSQL as root: there is no 'postgres' user to run it as");
  }
  const text = (b: Uint8Array) => Number(new TextDecoder().decode(b).trim());
  return [text(out.stdout), text(gid.stdout)];
}

/** Waits for a line matching `pattern` on a stream, then keeps draining it. */
async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
  timeoutMs: number,
): Promise<void> {
  const lines = stream.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`PostgreSQL did not become ready in ${timeoutMs} ms:\n${seen}`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([
      (async () => {
        while (true) {
          const { done, value } = await lines.read();
          if (done) throw new Error(`PostgreSQL exited before it was ready:\n${seen}`);
          seen += value;
          if (pattern.test(seen)) return;
        }
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
  // Keep reading so the server never blocks on a full pipe.
  (async () => {
    while (!(await lines.read()).done) { /* drain */ }
  })().catch(() => {});
}

export async function startPostgres(bin: string): Promise<PostgresServer> {
  const dir = await Deno.makeTempDir({ prefix: "realtime-pg-" });
  const [uid, gid] = Deno.uid() === 0 ? postgresIds() : [undefined, undefined];
  if (uid !== undefined) await Deno.chown(dir, uid, gid!);
  const data = `${dir}/data`;
  const init = await asUser(
    `${bin}/initdb`,
    [
      "-D",
      data,
      "-U",
      "postgres",
      "-A",
      "trust",
      "--no-sync",
      "-E",
      "UTF8",
      "--no-instructions",
    ],
    uid,
    gid,
  ).output();
  if (!init.success) {
    await Deno.remove(dir, { recursive: true });
    throw new Error(`initdb failed:\n${new TextDecoder().decode(init.stderr)}`);
  }
  const port = freePort();
  const child = asUser(
    `${bin}/postgres`,
    [
      "-D",
      data,
      "-p",
      String(port),
      "-k",
      dir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
    ],
    uid,
    gid,
  ).spawn();
  child.stdout.cancel();
  try {
    await waitForLine(child.stderr, /database system is ready to accept connections/, 30_000);
  } catch (error) {
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
  const admin = postgres({
    host: "127.0.0.1",
    port,
    user: "postgres",
    database: "postgres",
    max: 1,
    onnotice: () => {},
  });
  let counter = 0;
  let stopped = false;
  const backstop = () => {
    if (!stopped) child.kill("SIGKILL");
  };
  globalThis.addEventListener("unload", backstop);
  return {
    port,
    async createDatabase() {
      const name = `accounts_test_${Deno.pid}_${++counter}`;
      await admin.unsafe(`CREATE DATABASE ${name}`);
      return {
        url: `postgres://postgres@127.0.0.1:${port}/${name}`,
        drop: async () => {
          await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        },
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      globalThis.removeEventListener("unload", backstop);
      await admin.end({ timeout: 1 });
      child.kill("SIGINT"); // fast shutdown
      await child.status;
      await Deno.remove(dir, { recursive: true });
    },
  };
}
