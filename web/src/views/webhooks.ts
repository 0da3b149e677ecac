// The account page's webhooks: register an endpoint (its signing secret shown once), list
// them, see each one's recent deliveries with status and response code, delete one.
// Deliveries are signed the Standard Webhooks way (`webhook-signature`, HMAC-SHA256).

import type { Webhook, WebhookDelivery } from "../gen/speechflow/notifier/v1/notifier_pb";
import { WebhookDeliveryStatus } from "../gen/speechflow/notifier/v1/notifier_pb";
import { alertBox, h, labelled, replace } from "../dom";
import { describeError, showError } from "../errors";
import { formatDate } from "../format";
import { notifier } from "../rpc";
import { toast } from "../toast";
import "./webhooks.css";

const EVENTS = ["document.completed", "document.failed"];
const STATUS_WORDS: Record<number, string> = {
  [WebhookDeliveryStatus.PENDING]: "Pending",
  [WebhookDeliveryStatus.SUCCEEDED]: "Succeeded",
  [WebhookDeliveryStatus.FAILED]: "Failed",
};

export function webhooksCard(): HTMLElement {
  const alert = alertBox();
  const list = h("div", { className: "webhook-list" });
  const revealed = h("div", { className: "webhook-secret", hidden: true });
  const url = h("input", { name: "webhook-url", type: "url", required: true, maxlength: 2048, placeholder: "https://example.com/speechflow" });
  const description = h("input", { name: "webhook-description", maxlength: 500, placeholder: "optional" });
  const boxes = EVENTS.map((event) => h("input", { type: "checkbox", name: "webhook-event", value: event, checked: true }));
  const events = h(
    "fieldset",
    { className: "webhook-events" },
    h("legend", {}, "Events"),
    EVENTS.map((event, index) => h("label", {}, boxes[index] ?? "", ` ${event}`)),
  );
  const submit = h("button", { type: "submit" }, "Add webhook");
  const form = h(
    "form",
    { className: "webhook-form" },
    labelled("Endpoint URL", url, "Receives a signed POST when a recording is ready or fails."),
    labelled("Description", description),
    events,
    submit,
  );

  const refresh = async (): Promise<void> => {
    try {
      const { webhooks } = await notifier.listWebhooks({});
      replace(list, webhooks.length ? webhooksTable(webhooks, refresh) : h("p", {}, "No webhooks yet."));
    } catch (error) {
      showError(alert, error);
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    alert.clear();
    submit.disabled = true;
    const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
    notifier
      .createWebhook({ webhook: { url: url.value, description: description.value, events: chosen } })
      .then(({ webhook }) => {
        form.reset();
        showSecret(revealed, webhook?.secret ?? "", webhook?.url ?? "");
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
    { className: "card webhooks", "aria-labelledby": "webhooks-heading" },
    h("h2", { id: "webhooks-heading" }, "Webhooks"),
    h(
      "p",
      {},
      "SpeechFlow POSTs the summary, action items and links to your endpoint when a recording is ready (",
      h("code", {}, "document.completed"),
      ") or fails (",
      h("code", {}, "document.failed"),
      "). Verify each delivery's ",
      h("code", {}, "webhook-signature"),
      " with the secret (Standard Webhooks).",
    ),
    alert.element,
    revealed,
    form,
    list,
  );
}

/** The new webhook's signing secret, this once. */
function showSecret(container: HTMLElement, secret: string, target: string): void {
  const field = h("input", { readonly: true, value: secret, className: "webhook-secret-value", "aria-label": "Signing secret" });
  replace(
    container,
    h("p", {}, h("strong", {}, `Webhook for ${target} added. `), "Copy its signing secret now: it is shown only this once."),
    field,
  );
  container.hidden = false;
  field.select();
}

function webhooksTable(webhooks: Webhook[], refresh: () => Promise<void>): HTMLElement {
  return h(
    "table",
    { className: "webhook-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "URL"), h("th", {}, "Events"), h("th", {}, "Created"), h("th", {}, ""))),
    h(
      "tbody",
      {},
      webhooks.flatMap((webhook) => {
        const deliveries = h("tr", { className: "webhook-deliveries", hidden: true }, h("td", { colspan: 4 }));
        const show = h("button", { type: "button", className: "secondary", "aria-label": `Deliveries to ${webhook.url}` }, "Deliveries");
        show.addEventListener("click", () => {
          deliveries.hidden = !deliveries.hidden;
          if (!deliveries.hidden) void showDeliveries(deliveries.firstElementChild as HTMLElement, webhook.id);
        });
        const remove = h("button", { type: "button", className: "danger", "aria-label": `Delete ${webhook.url}` }, "Delete");
        remove.addEventListener("click", () => {
          if (!confirm(`Delete the webhook for ${webhook.url}? Nothing more is sent to it.`)) return;
          remove.disabled = true;
          notifier
            .deleteWebhook({ webhookId: webhook.id })
            .then(() => {
              toast("Webhook deleted.");
              return refresh();
            })
            .catch((error: unknown) => {
              remove.disabled = false;
              toast(describeError(error), "error");
            });
        });
        return [
          h(
            "tr",
            {},
            h("td", {}, h("code", {}, webhook.url), webhook.description ? h("div", { className: "webhook-note" }, webhook.description) : ""),
            h("td", {}, webhook.events.join(", ")),
            h("td", {}, formatDate(webhook.createTime)),
            h("td", { className: "webhook-actions" }, show, remove),
          ),
          deliveries,
        ];
      }),
    ),
  );
}

async function showDeliveries(cell: HTMLElement, webhookId: string): Promise<void> {
  replace(cell, h("p", {}, "Loading…"));
  try {
    const { deliveries } = await notifier.listWebhookDeliveries({ webhookId });
    replace(cell, deliveries.length ? deliveriesTable(deliveries) : h("p", {}, "No deliveries yet."));
  } catch (error) {
    replace(cell, h("p", { role: "alert" }, describeError(error)));
  }
}

function deliveriesTable(deliveries: WebhookDelivery[]): HTMLElement {
  return h(
    "table",
    { className: "webhook-delivery-table" },
    h(
      "thead",
      {},
      h("tr", {}, h("th", {}, "Event"), h("th", {}, "Status"), h("th", {}, "Attempts"), h("th", {}, "Response"), h("th", {}, "Last attempt"), h("th", {}, "Error")),
    ),
    h(
      "tbody",
      {},
      deliveries.map((delivery) =>
        h(
          "tr",
          {},
          h("td", {}, delivery.eventType),
          h("td", {}, STATUS_WORDS[delivery.status] ?? "Unknown"),
          h("td", {}, String(delivery.attempts)),
          h("td", {}, delivery.responseCode ? String(delivery.responseCode) : "—"),
          h("td", {}, delivery.lastAttemptTime ? formatDate(delivery.lastAttemptTime) : "—"),
          h("td", {}, delivery.error),
        ),
      ),
    ),
  );
}
