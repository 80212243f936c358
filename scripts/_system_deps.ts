// What the test suite needs from the system besides Deno, how to tell whether
// it is there, and which Debian package brings it. Read by scripts/test.ts,
// which installs what is missing where it can (root with apt-get) and says
// exactly what to install where it cannot.

/** One thing the tests need from the system. */
export interface SystemDep {
  /** What it is, for the report. */
  readonly what: string;
  /** The Debian packages that bring it. */
  readonly packages: readonly string[];
  /** Which tests need it, for the report. */
  readonly neededBy: string;
  /** Whether it is there now. */
  present(): boolean;
}

const PYTHON = "/usr/bin/python3";

/** Whether `file` exists and is a file. */
function isFile(file: string): boolean {
  try {
    return Deno.statSync(file).isFile;
  } catch {
    return false;
  }
}

/** Whether `name` is an executable on the PATH. */
export function onPath(name: string, path = Deno.env.get("PATH") ?? ""): boolean {
  return path.split(":").some((dir) => dir !== "" && isFile(`${dir}/${name}`));
}

/** Whether Debian's python3 imports every module in `modules`. */
function pythonHas(modules: readonly string[]): boolean {
  if (!isFile(PYTHON)) return false;
  try {
    return new Deno.Command(PYTHON, {
      args: ["-c", `import ${modules.join(", ")}`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

/** The PostgreSQL bin directory Debian installs (not on the PATH), if any. */
export function postgresBin(): string | undefined {
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")].map((entry) => entry.name)
      .sort((a, b) => Number(b) - Number(a));
    return versions.map((v) => `/usr/lib/postgresql/${v}/bin`)
      .find((dir) => isFile(`${dir}/postgres`) && isFile(`${dir}/initdb`));
  } catch {
    return undefined;
  }
}

/**
 * Debian's nginx: /usr/sbin is not on every user's PATH, so it is looked for
 * there first.
 */
export function nginxBin(): string | undefined {
  if (isFile("/usr/sbin/nginx")) return "/usr/sbin/nginx";
  return onPath("nginx") ? "nginx" : undefined;
}

/** Everything the suite needs from the system. */
export const SYSTEM_DEPS: readonly SystemDep[] = [
  {
    what: "redis-server",
    packages: ["redis-server"],
    neededBy: "the Redis engine, cluster and failover tests",
    present: () => onPath("redis-server") && onPath("redis-cli"),
  },
  {
    what: "nginx",
    packages: ["nginx"],
    neededBy: "the reverse-proxy tests (hubs behind nginx)",
    present: () => nginxBin() !== undefined,
  },
  {
    what: "PostgreSQL 15",
    packages: ["postgresql"],
    neededBy: "the PostgreSQL accounts store tests",
    present: () => postgresBin() !== undefined,
  },
  {
    what: "Chromium at /usr/bin/chromium",
    packages: ["chromium"],
    neededBy: "the browser end-to-end tests",
    present: () => isFile("/usr/bin/chromium"),
  },
  {
    what: "Python 3 with websockets, PyJWT and cryptography at /usr/bin/python3",
    packages: ["python3", "python3-websockets", "python3-jwt", "python3-cryptography"],
    neededBy: "the Python peer and signing interop tests",
    present: () => pythonHas(["websockets", "jwt", "cryptography"]),
  },
  {
    what: "FastAPI and uvicorn for Debian's /usr/bin/python3",
    packages: ["python3-fastapi", "python3-uvicorn", "python3-jwt"],
    neededBy: "the HTTP proxy tests against examples/fastapi",
    present: () => pythonHas(["fastapi", "uvicorn", "jwt"]),
  },
  {
    what: "stomp.py and websocket-client for Debian's /usr/bin/python3",
    packages: ["python3-stomp", "python3-websocket"],
    neededBy: "the STOMP interop test with Python's stomp.py",
    present: () => pythonHas(["stomp", "websocket"]),
  },
];

/** The missing deps among `deps`. */
export function missingDeps(deps: readonly SystemDep[] = SYSTEM_DEPS): SystemDep[] {
  return deps.filter((dep) => !dep.present());
}

/** The Debian packages that bring every dep of `deps`, each once. */
export function aptPackages(deps: readonly SystemDep[]): string[] {
  return [...new Set(deps.flatMap((dep) => dep.packages))];
}
