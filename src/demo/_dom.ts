// The few DOM types the demo script uses. The project type-checks as one
// program with Deno's libraries; pulling in `lib.dom` for one browser file
// would change Web API types (streams, events) for every other file.

/** A text node. */
export interface DomText {
  textContent: string | null;
}

/** The element features the demo uses (inputs, buttons, lists, plain elements). */
export interface DomElement extends EventTarget {
  readonly dataset: Record<string, string | undefined>;
  readonly classList: { add(name: string): void };
  readonly children: { readonly length: number };
  readonly lastElementChild: DomElement | null;
  textContent: string | null;
  className: string;
  title: string;
  type: string;
  value: string;
  /** A checkbox's state. */
  checked?: boolean;
  append(...nodes: (DomElement | DomText)[]): void;
  prepend(...nodes: (DomElement | DomText)[]): void;
  replaceChildren(...nodes: (DomElement | DomText)[]): void;
  remove(): void;
}

/** The document features the demo uses. */
export interface DomDocument {
  readonly body: DomElement;
  getElementById(id: string): DomElement | null;
  createElement(tag: string): DomElement;
  createTextNode(text: string): DomText;
}

/** The page's globals, typed. */
export const page = globalThis as unknown as {
  readonly document: DomDocument;
  readonly location: { readonly protocol: string; readonly host: string };
};
