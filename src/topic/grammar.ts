/**
 * The topic grammar, shared by topics, patterns and templated rule patterns.
 * Reasons are returned without a prefix so each caller can say what it was
 * checking.
 *
 * @module
 */

import { quote } from "./quote.ts";

/** Limits every topic, pattern and template obeys. */
export const LIMITS = { maxSegments: 16, maxSegmentLength: 64, maxLength: 255 } as const;

/** One segment: 1 to 64 characters of the allowed alphabet. */
export const SEGMENT_RE = /^[A-Za-z0-9_\-.@+=~]{1,64}$/;

/** A whole concrete topic, checked in one pass on the hot path (length checked separately). */
export const TOPIC_RE = /^[A-Za-z0-9_\-.@+=~]{1,64}(?::[A-Za-z0-9_\-.@+=~]{1,64}){0,15}$/;

const CHAR_RE = /^[A-Za-z0-9_\-.@+=~]$/;
const TEMPLATE_RE = /^\{(sub|claims(?:\.[A-Za-z0-9_-]+)+)\}$/;

/** Which constructs a string may use. */
export interface GrammarMode {
  /** `*` and a final `**` are allowed. */
  readonly wildcards: boolean;
  /** `{sub}` and `{claims.path}` segments are allowed. */
  readonly templates: boolean;
}

/** Whether `segment` is a template segment such as `{sub}`. */
export function isTemplateSegment(segment: string): boolean {
  return segment.charCodeAt(0) === 123 && segment.charCodeAt(segment.length - 1) === 125;
}

/** The reference inside a template segment (`{claims.org}` gives `claims.org`), or `undefined`. */
export function templateRef(segment: string): string | undefined {
  return TEMPLATE_RE.exec(segment)?.[1];
}

/** Why `value` breaks the grammar in `mode`, or `undefined` when it is valid. */
export function grammarProblem(value: string, mode: GrammarMode): string | undefined {
  // The common case, a concrete topic, in one pass: valid in every mode.
  if (value.length <= LIMITS.maxLength && TOPIC_RE.test(value)) return undefined;
  if (value.length === 0) return "it is empty";
  if (value.length > LIMITS.maxLength) {
    return `it has ${value.length} characters: at most ${LIMITS.maxLength} are allowed`;
  }
  const segments = value.split(":");
  if (segments.length > LIMITS.maxSegments) {
    return `it has ${segments.length} segments: at most ${LIMITS.maxSegments} are allowed`;
  }
  for (let i = 0; i < segments.length; i++) {
    const problem = segmentProblem(segments[i], i === segments.length - 1, mode);
    if (problem !== undefined) return `segment ${i + 1} ${problem}`;
  }
  return undefined;
}

function segmentProblem(segment: string, last: boolean, mode: GrammarMode): string | undefined {
  if (segment.length === 0) return "is empty";
  if (segment === "*" || segment === "**") {
    if (!mode.wildcards) return `is a wildcard ${quote(segment)}: a concrete topic is required`;
    if (segment === "**" && !last) return "is '**', which is only allowed as the last segment";
    return undefined;
  }
  if (segment.includes("{") || segment.includes("}")) {
    if (!mode.templates) return `${quote(segment)} contains a template, which is not allowed here`;
    if (!isTemplateSegment(segment)) {
      return `${quote(segment)} mixes a template with text: a template must be a whole segment`;
    }
    if (templateRef(segment) === undefined) {
      return `${quote(segment)} is not a valid template: use {sub} or {claims.<path>}`;
    }
    return undefined;
  }
  if (segment.includes("*")) {
    return mode.wildcards
      ? `${quote(segment)} contains '*': a wildcard must be a whole segment`
      : `${quote(segment)} contains '*': a concrete topic cannot contain wildcards`;
  }
  if (segment.length > LIMITS.maxSegmentLength) {
    return `has ${segment.length} characters: at most ${LIMITS.maxSegmentLength} are allowed`;
  }
  for (const char of segment) {
    if (!CHAR_RE.test(char)) {
      return `contains ${quote(char)}: only A-Z a-z 0-9 and _ - . @ + = ~ are allowed`;
    }
  }
  return undefined;
}
