// Short confirmations after an action ("Renamed.", "Saved.") in one polite live region, so
// screen readers hear them too; errors stay longer and are announced assertively.

import { h } from "./dom";

const VISIBLE_MS = 4000;
const ERROR_VISIBLE_MS = 8000;

let region: HTMLElement | null = null;

function toastRegion(): HTMLElement {
  if (!region || !region.isConnected) {
    region = h("div", { className: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(region);
  }
  return region;
}

export function toast(message: string, kind: "ok" | "error" = "ok"): void {
  const item = h("div", { className: `toast toast-${kind}`, role: kind === "error" ? "alert" : null }, message);
  const close = h("button", { type: "button", className: "toast-close", "aria-label": "Dismiss" }, "×");
  close.addEventListener("click", () => item.remove());
  item.append(close);
  toastRegion().append(item);
  window.setTimeout(() => item.remove(), kind === "error" ? ERROR_VISIBLE_MS : VISIBLE_MS);
}
