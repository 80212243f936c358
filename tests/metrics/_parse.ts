// A strict reader of the Prometheus text exposition format 0.0.4, for checking
// what renderPrometheus writes. It throws on anything the format does not allow.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL_NAME = "[a-zA-Z_][a-zA-Z0-9_]*";
const LABEL_VALUE = String.raw`"(?:[^"\\\n]|\\[\\"n])*"`;
const LABEL = `${LABEL_NAME}=${LABEL_VALUE}`;
const FLOAT = String.raw`[+-]?(?:Inf|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)`;
const SAMPLE_RE = new RegExp(
  `^(${NAME})(?:\\{((?:${LABEL}(?:,${LABEL})*)?,?)\\})? (${FLOAT})(?: -?\\d+)?$`,
);
const HELP_RE = new RegExp(String.raw`^# HELP (${NAME}) ((?:[^\\\n]|\\[\\n])*)$`);
const TYPE_RE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const LABEL_RE = new RegExp(`(${LABEL_NAME})=(${LABEL_VALUE})`, "g");

function unescape(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
}

function parseFloatGo(text: string): number {
  if (/^[+]?Inf$/.test(text)) return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  return Number(text);
}

function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  if (families.has(sample)) return families.get(sample);
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const family = families.get(sample.slice(0, -suffix.length));
    if (family?.type === "histogram" || family?.type === "summary") return family;
  }
  return undefined;
}

/** Parses and checks an exposition; returns its families by name. */
export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("Exposition does not end with a line feed");
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current: Family | undefined;
  text.slice(0, -1).split("\n").forEach((line, i) => {
    const where = `line ${i + 1} ${JSON.stringify(line)}`;
    let m: RegExpExecArray | null;
    if ((m = HELP_RE.exec(line)) !== null) {
      const [, name] = m;
      if (seen.has(name)) throw new Error(`${where}: family ${name} appears twice`);
      seen.add(name);
      current = { name, type: "untyped", help: m[2], samples: [] };
      families.set(name, current);
    } else if ((m = TYPE_RE.exec(line)) !== null) {
      if (current?.name !== m[1] || current.samples.length > 0) {
        throw new Error(`${where}: TYPE must follow its HELP and precede its samples`);
      }
      current.type = m[2];
    } else if ((m = SAMPLE_RE.exec(line)) !== null) {
      const family = familyOf(m[1], families);
      if (family === undefined || family !== current) {
        throw new Error(`${where}: sample outside its family`);
      }
      const labels: Record<string, string> = {};
      for (const [, name, value] of (m[2] ?? "").matchAll(LABEL_RE)) {
        if (name in labels) throw new Error(`${where}: label ${name} repeated`);
        labels[name] = unescape(value);
      }
      family.samples.push({ name: m[1], labels, value: parseFloatGo(m[3]) });
    } else {
      throw new Error(`${where}: not a HELP, TYPE or sample line`);
    }
  });
  for (const family of families.values()) {
    if (family.type === "histogram") checkHistogram(family);
    if (family.type === "counter" && !family.name.endsWith("_total")) {
      throw new Error(`counter ${family.name} does not end with _total`);
    }
  }
  return families;
}

/** Buckets ascending by `le`, cumulative (never decreasing), ending at +Inf == _count. */
function checkHistogram(family: Family): void {
  const buckets = family.samples.filter((s) => s.name === `${family.name}_bucket`);
  const count = family.samples.find((s) => s.name === `${family.name}_count`);
  const sum = family.samples.find((s) => s.name === `${family.name}_sum`);
  if (count === undefined || sum === undefined || buckets.length === 0) {
    throw new Error(`histogram ${family.name} lacks _bucket, _sum or _count`);
  }
  let previous = { le: -Infinity, value: 0 };
  for (const bucket of buckets) {
    if (!("le" in bucket.labels)) throw new Error(`${family.name}: bucket without le`);
    const le = parseFloatGo(bucket.labels.le);
    if (Number.isNaN(le) || le <= previous.le) {
      throw new Error(`${family.name}: le ${bucket.labels.le} is not ascending`);
    }
    if (bucket.value < previous.value) {
      throw new Error(`${family.name}: bucket le=${bucket.labels.le} is not cumulative`);
    }
    previous = { le, value: bucket.value };
  }
  if (previous.le !== Infinity) throw new Error(`${family.name}: last bucket is not +Inf`);
  if (previous.value !== count.value) {
    throw new Error(`${family.name}: +Inf bucket ${previous.value} != _count ${count.value}`);
  }
}

/** The value of one sample, or undefined. */
export function valueOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (
        keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])
      ) return s.value;
    }
  }
  return undefined;
}
