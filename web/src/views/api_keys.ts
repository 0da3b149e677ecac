// The account page's API keys: create one (its secret shown once, with a copy button), see
// each key's last use, revoke it. Keys act as their owner from scripts, `curl` and
// OpenAI-compatible tools (`Authorization: Bearer sf_…`).

import type { ApiKey } from "../gen/speechflow/auth/v1/auth_pb";
import { copyText } from "../clipboard";
import { alertBox, h, labelled, replace } from "../dom";
import { describeError, showError } from "../errors";
import { formatDate } from "../format";
import { auth } from "../rpc";
import { toast } from "../toast";
import "./api_keys.css";

export function apiKeysCard(): HTMLElement {
  const alert = alertBox();
  const list = h("div", { className: "api-key-list" });
  const revealed = h("div", { className: "api-key-secret", hidden: true });
  const name = h("input", { name: "api-key-name", maxlength: 100, required: true, placeholder: "e.g. nightly backup" });
  const submit = h("button", { type: "submit" }, "Create key");
  const form = h("form", { className: "api-key-form" }, labelled("Key name", name, "What will use it."), submit);

  const refresh = async (): Promise<void> => {
    try {
      const { apiKeys } = await auth.listApiKeys({});
      replace(list, apiKeys.length ? keysTable(apiKeys, refresh) : h("p", {}, "No API keys yet."));
    } catch (error) {
      showError(alert, error);
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    alert.clear();
    submit.disabled = true;
    auth
      .createApiKey({ name: name.value })
      .then(({ secret, apiKey }) => {
        form.reset();
        showSecret(revealed, secret, apiKey?.name ?? "");
        return refresh();
      })
      .catch((error: unknown) => showError(alert, error))
      .finally(() => {
        submit.disabled = false;
      });
  });
  void refresh();
  return h(
    "section",
    { className: "card api-keys", "aria-labelledby": "api-keys-heading" },
    h("h2", { id: "api-keys-heading" }, "API keys"),
    h(
      "p",
      {},
      "For scripts and tools: send a key as ",
      h("code", {}, "Authorization: Bearer sf_…"),
      " to the API or to the OpenAI-compatible ",
      h("code", {}, "/v1/audio/transcriptions"),
      ". A key acts as you; revoke it when it is no longer needed.",
    ),
    alert.element,
    revealed,
    form,
    list,
  );
}

/** The new key's secret, this once: a read-only field and a copy button. */
function showSecret(container: HTMLElement, secret: string, keyName: string): void {
  const field = h("input", { readonly: true, value: secret, className: "api-key-value", "aria-label": "New API key" });
  const copy = h("button", { type: "button", className: "secondary" }, "Copy");
  copy.addEventListener("click", () => {
    void copyText(field).then((copied) => toast(copied ? "API key copied." : "Select the key and copy it.", copied ? "ok" : "error"));
  });
  replace(
    container,
    h("p", {}, h("strong", {}, `Key “${keyName}” created. `), "Copy it now: it is shown only this once."),
    h("div", { className: "api-key-reveal" }, field, copy),
  );
  container.hidden = false;
  field.select();
}

function keysTable(keys: ApiKey[], refresh: () => Promise<void>): HTMLElement {
  return h(
    "table",
    { className: "api-key-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Key"), h("th", {}, "Created"), h("th", {}, "Last used"), h("th", {}, ""))),
    h(
      "tbody",
      {},
      keys.map((key) => {
        const revoke = h("button", { type: "button", className: "danger", "aria-label": `Revoke ${key.name}` }, "Revoke");
        revoke.addEventListener("click", () => {
          if (!confirm(`Revoke the API key “${key.name}”? Whatever uses it stops working.`)) return;
          revoke.disabled = true;
          auth
            .revokeApiKey({ apiKeyId: key.id })
            .then(() => {
              toast(`API key “${key.name}” revoked.`);
              return refresh();
            })
            .catch((error: unknown) => {
              revoke.disabled = false;
              toast(describeError(error), "error");
            });
        });
        return h(
          "tr",
          {},
          h("td", {}, key.name),
          h("td", {}, h("code", {}, `${key.prefix}…`)),
          h("td", {}, formatDate(key.createTime)),
          h("td", {}, key.lastUseTime ? formatDate(key.lastUseTime) : "Never"),
          h("td", {}, revoke),
        );
      }),
    ),
  );
}
