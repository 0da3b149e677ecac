// The caller's summary templates ("Lecture notes", "Sales call", "1:1") as a choice in a form:
// the upload panel and the document's regenerate form offer the same list.

import { h, labelled } from "./dom";
import type { SummaryTemplate } from "./gen/speechflow/library/v1/library_pb";
import { library } from "./rpc";

// Enough for any one person's templates; the page lists them all on one screen too.
export const TEMPLATE_PAGE_SIZE = 100;

export async function listTemplates(): Promise<SummaryTemplate[]> {
  const { summaryTemplates } = await library.listSummaryTemplates({ pageSize: TEMPLATE_PAGE_SIZE });
  return summaryTemplates;
}

export interface TemplateChoice {
  /** The labelled field; hidden while the user has no templates (nothing to choose). */
  field: HTMLElement;
  select: HTMLSelectElement;
  /** Reloads the list, keeping the current choice when it still exists. */
  refresh(): Promise<void>;
}

export function templateChoice(label = "Template"): TemplateChoice {
  const select = h("select", { name: "summary-template" }, h("option", { value: "" }, "Default summary"));
  const field = labelled(label, select);
  field.hidden = true;
  async function refresh(): Promise<void> {
    const chosen = select.value;
    let templates: SummaryTemplate[];
    try {
      templates = await listTemplates();
    } catch {
      // A server without templates (or unreachable): the default summary, without a choice.
      return;
    }
    select.replaceChildren(
      h("option", { value: "" }, "Default summary"),
      ...templates.map((template) => h("option", { value: template.id }, template.name)),
    );
    select.value = templates.some((template) => template.id === chosen) ? chosen : "";
    field.hidden = templates.length === 0;
  }
  return { field, select, refresh };
}
