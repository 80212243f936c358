// The few DOM types the console script uses. As for the demo page, the
// project type-checks as one program with Deno's libraries: pulling in
// `lib.dom` for the browser files would change Web API types everywhere.

/** A text node. */
export interface DomText {
  textContent: string | null;
}

/** The element features the console uses. */
export interface DomElement extends EventTarget {
  readonly dataset: Record<string, string | undefined>;
  readonly children: { readonly length: number };
  textContent: string | null;
  className: string;
  hidden: boolean;
  disabled: boolean;
  value: string;
  checked: boolean;
  type: string;
  id: string;
  title: string;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  append(...nodes: (DomElement | DomText | string)[]): void;
  replaceChildren(...nodes: (DomElement | DomText | string)[]): void;
  focus(): void;
  remove(): void;
  /** `<dialog>` only. */
  showModal(): void;
  /** `<dialog>` only. */
  close(): void;
}

/** The document features the console uses. */
export interface DomDocument {
  readonly body: DomElement;
  getElementById(id: string): DomElement | null;
  createElement(tag: string): DomElement;
  createElementNS(ns: string, tag: string): DomElement;
  createTextNode(text: string): DomText;
}

/** The page's globals, typed. */
export const page = globalThis as unknown as {
  readonly document: DomDocument;
};

/** Creates an element with text content only: data never goes through HTML parsing. */
export function el(tag: string, text?: string, className?: string): DomElement {
  const element = page.document.createElement(tag);
  if (text !== undefined) element.textContent = text;
  if (className !== undefined) element.className = className;
  return element;
}

/** The element with this id; throws when the page lacks it. */
export function byId(id: string): DomElement {
  const element = page.document.getElementById(id);
  if (element === null) throw new Error(`The page has no #${id}`);
  return element;
}
