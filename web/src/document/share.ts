// The document page's "Share" panel: make a read-only link that works without an account
// (its URL is shown once, with a copy button), see the document's links with their expiry
// and last use, and revoke one, which ends its access at once.

import { create } from "@bufbuild/protobuf";
import { DurationSchema } from "@bufbuild/protobuf/wkt";
import { copyText } from "../clipboard";
import { alertBox, h, labelled, replace } from "../dom";
import { describeError, showError } from "../errors";
import { formatDate } from "../format";
import type { ShareLink } from "../gen/speechflow/library/v1/library_pb";
import { library } from "../rpc";
import { toast } from "../toast";
import "./share.css";

const DAY_SECONDS = 24 * 3600;
const TTL_CHOICES: [number, string][] = [
  [1, "1 day"],
  [7, "7 days"],
  [30, "30 days"],
  [90, "90 days"],
];

export function sharePanel(documentId: string): HTMLElement {
  const panel = h("details", { className: "share-menu" });
  const alert = alertBox();
  const list = h("div", { className: "share-list" });
  const revealed = h("div", { className: "share-reveal", hidden: true });
  const ttl = h(
    "select",
    { name: "share-ttl" },
    TTL_CHOICES.map(([days, label]) => h("option", { value: String(days) }, label)),
  );
  ttl.value = "7";
  const submit = h("button", { type: "submit" }, "Create link");
  const form = h("form", { className: "share-form" }, labelled("Link works for", ttl), submit);

  const refresh = async (): Promise<void> => {
    try {
      const { shareLinks } = await library.listShareLinks({ documentId });
      replace(list, shareLinks.length ? linksTable(shareLinks, refresh) : h("p", { className: "empty" }, "No share links yet."));
    } catch (error) {
      showError(alert, error);
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    alert.clear();
    submit.disabled = true;
    library
      .createShareLink({ documentId, ttl: create(DurationSchema, { seconds: BigInt(Number(ttl.value) * DAY_SECONDS) }) })
      .then(({ shareLink }) => {
        if (shareLink) showUrl(revealed, shareLink);
        return refresh();
      })
      .catch((error: unknown) => showError(alert, error))
      .finally(() => {
        submit.disabled = false;
      });
  });
  // The list is fetched when the panel is first opened, not with every document page.
  let loaded = false;
  panel.addEventListener("toggle", () => {
    if (panel.open && !loaded) {
      loaded = true;
      void refresh();
    }
  });
  panel.append(
    h("summary", { className: "button secondary" }, "Share"),
    h(
      "div",
      { className: "share-body card", role: "group", "aria-label": "Share links" },
      h("p", {}, "Anyone with a link can play the recording and read the transcript, summary and PDF, without an account, until it expires or you revoke it."),
      alert.element,
      form,
      revealed,
      list,
    ),
  );
  return panel;
}

/** The new link's URL, this once: a read-only field and a copy button. */
function showUrl(container: HTMLElement, link: ShareLink): void {
  const field = h("input", { readonly: true, value: link.url, className: "share-url", "aria-label": "Share link" });
  const copy = h("button", { type: "button", className: "secondary" }, "Copy link");
  copy.addEventListener("click", () => {
    void copyText(field).then((copied) => toast(copied ? "Link copied." : "Select the link and copy it.", copied ? "ok" : "error"));
  });
  replace(
    container,
    h("p", {}, h("strong", {}, "Link created. "), `Copy it now: it is shown only this once. It works until ${formatDate(link.expireTime)}.`),
    h("div", { className: "share-reveal-row" }, field, copy),
  );
  container.hidden = false;
  field.select();
}

function state(link: ShareLink): string {
  if (link.revoked) return "Revoked";
  const expires = link.expireTime ? Number(link.expireTime.seconds) * 1000 : 0;
  return expires && expires <= Date.now() ? "Expired" : "Active";
}

function linksTable(links: ShareLink[], refresh: () => Promise<void>): HTMLElement {
  return h(
    "table",
    { className: "share-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "Created"), h("th", {}, "Expires"), h("th", {}, "Last used"), h("th", {}, "State"), h("th", {}, ""))),
    h(
      "tbody",
      {},
      links.map((link) => {
        const active = state(link) === "Active";
        const revoke = active
          ? h("button", { type: "button", className: "danger", "aria-label": `Revoke the link created ${formatDate(link.createTime)}` }, "Revoke")
          : null;
        revoke?.addEventListener("click", () => {
          if (!confirm("Revoke this share link? Whoever has it can no longer open the document.")) return;
          revoke.disabled = true;
          library
            .revokeShareLink({ shareLinkId: link.id })
            .then(() => {
              toast("Share link revoked.");
              return refresh();
            })
            .catch((error: unknown) => {
              revoke.disabled = false;
              toast(describeError(error), "error");
            });
        });
        return h(
          "tr",
          { "data-share-link-id": link.id },
          h("td", {}, formatDate(link.createTime)),
          h("td", {}, formatDate(link.expireTime)),
          h("td", {}, link.lastUseTime ? formatDate(link.lastUseTime) : "Never"),
          h("td", { className: "share-state" }, state(link)),
          h("td", {}, revoke),
        );
      }),
    ),
  );
}
