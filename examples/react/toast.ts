/**
 * A minimal stand-in for a UI library's `toast`: appends the notification
 * to the page's `#toasts` list.
 *
 * @module
 */

interface ToastElement {
  textContent: string | null;
  className: string;
  append(...nodes: ToastElement[]): void;
}

const { document } = globalThis as unknown as {
  document: {
    getElementById(id: string): ToastElement | null;
    createElement(tag: string): ToastElement;
  };
};

/** Options of {@linkcode toast}. */
export interface ToastOptions {
  /** The second line. */
  description?: string;
}

/**
 * Shows a notification.
 *
 * @param title The first line.
 * @param options The description.
 */
export function toast(title: string, options: ToastOptions = {}): void {
  const item = document.createElement("li");
  item.className = "toast";
  item.textContent = options.description === undefined ? title : `${title}: ${options.description}`;
  document.getElementById("toasts")?.append(item);
}
