// What the summarizer wrote: the summary, key points, decisions, topics (each a link that
// plays the recording from where the topic starts) and action items with owner and due date.
// Documents summarized before structured summaries fall back to the flat fields.

import { clock, seconds } from "../clock";
import { h } from "../dom";
import type { Document } from "../gen/speechflow/library/v1/library_pb";

// Who wrote the summary, in words (DocumentSummary.provider).
const PROVIDER_NAMES: Record<string, string> = {
  "openai-compatible": "Written by the configured language model",
  openrouter: "Written by a language model on OpenRouter",
  groq: "Written by a language model on Groq",
  "local-llm": "Written by the built-in language model",
  extractive: "Sentences picked from the transcript (no language model)",
};

function list(items: string[]): HTMLElement {
  return items.length
    ? h("ul", {}, items.map((item) => h("li", {}, item)))
    : h("p", { className: "empty" }, "None.");
}

export function summaryCard(document: Document, seek: (time: number) => void): HTMLElement {
  const summary = document.summary;
  const text = summary?.text || document.summaryText;
  const keyPoints = summary?.keyPoints.length ? summary.keyPoints : document.keyPoints;
  const actions = summary?.actionItems.length
    ? h(
        "ul",
        { className: "action-items" },
        summary.actionItems.map((item) =>
          h(
            "li",
            {},
            h("span", { className: "action-text" }, item.text),
            h(
              "span",
              { className: "action-meta" },
              h("span", { className: "owner" }, item.owner || "No owner"),
              item.due ? h("span", { className: "due" }, `due ${item.due}`) : null,
            ),
          ),
        ),
      )
    : list(document.actionItems);
  const topics = summary?.topics.length
    ? h(
        "ol",
        { className: "topics" },
        summary.topics.map((topic) => {
          const start = seconds(topic.startOffset);
          return h(
            "li",
            {},
            h(
              "button",
              { type: "button", className: "link-button topic", "data-start": start.toFixed(3), onclick: () => seek(start) },
              h("span", { className: "topic-time" }, `[${clock(start)}]`),
              " ",
              topic.title,
            ),
          );
        }),
      )
    : null;
  const provider = summary?.provider ? PROVIDER_NAMES[summary.provider] ?? `Written by ${summary.provider}` : "";
  return h(
    "section",
    { className: "card summary-card", "aria-labelledby": "summary-heading" },
    h("h2", { id: "summary-heading" }, "Summary"),
    h("p", { className: "summary" }, text || "No summary."),
    provider
      ? h(
          "p",
          { className: "hint provenance" },
          `${provider}${summary?.model ? ` · ${summary.model}` : ""}`,
          summary?.builtFromSections ? " · summarized in sections, the recording being long" : "",
        )
      : null,
    h("h3", {}, "Key points"),
    list(keyPoints),
    h("h3", {}, "Decisions"),
    list(summary?.decisions ?? []),
    h("h3", {}, "Action items"),
    actions,
    topics ? h("h3", {}, "Topics") : null,
    topics,
  );
}
