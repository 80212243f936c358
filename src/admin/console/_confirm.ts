// Confirmation before destructive actions: a modal <dialog> (keyboard
// accessible, Escape cancels) rather than window.confirm.

import { byId } from "./_dom.ts";

/** Asks `question`; resolves `true` only when the operator confirms. */
export function confirmAction(question: string, confirmLabel = "Confirm"): Promise<boolean> {
  const dialog = byId("confirm-dialog");
  byId("confirm-text").textContent = question;
  byId("confirm-yes").textContent = confirmLabel;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve((dialog as unknown as { returnValue: string }).returnValue === "ok");
    }, { once: true });
    (dialog as unknown as { returnValue: string }).returnValue = "cancel";
    dialog.showModal();
    byId("confirm-no").focus();
  });
}
