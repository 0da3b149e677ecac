// Summary templates: a name and instructions the summarizer follows ("List the homework and
// the exam dates"). Create, edit and delete them here; choose one on upload or regenerate.

import { alertBox, h, labelled, replace } from "../dom";
import { describeError, showError } from "../errors";
import type { SummaryTemplate } from "../gen/speechflow/library/v1/library_pb";
import { library } from "../rpc";
import type { View } from "../router";
import { listTemplates } from "../templates";
import { toast } from "../toast";

const NAME_MAX = 100;
const INSTRUCTIONS_MAX = 4000;

export const templatesView: View = (outlet) => {
  const list = h("ul", { className: "template-list", "aria-label": "Your templates", "aria-busy": "true" });
  const listAlert = alertBox();

  async function load(): Promise<void> {
    list.setAttribute("aria-busy", "true");
    try {
      const templates = await listTemplates();
      replace(
        list,
        templates.length === 0
          ? h("li", { className: "empty" }, "No templates yet. Summaries use the default instructions.")
          : templates.map(templateItem),
      );
      listAlert.clear();
    } catch (error) {
      showError(listAlert, error);
    } finally {
      list.setAttribute("aria-busy", "false");
    }
  }

  function templateItem(template: SummaryTemplate): HTMLElement {
    const item = h("li", { className: "card template-item" });
    const show = (): void => {
      const edit = h("button", { type: "button", className: "secondary" }, "Edit");
      const remove = h("button", { type: "button", className: "danger" }, "Delete");
      edit.addEventListener("click", () => replace(item, editForm(template, show)));
      remove.addEventListener("click", () => void removeTemplate(template));
      replace(
        item,
        h("h3", {}, template.name),
        h("p", { className: "template-instructions" }, template.instructions),
        h("div", { className: "button-row" }, edit, remove),
      );
      item.setAttribute("aria-label", template.name);
    };
    show();
    return item;
  }

  function editForm(template: SummaryTemplate, cancel: () => void): HTMLElement {
    const fields = templateFields(template);
    const alert = alertBox();
    const save = h("button", { type: "submit" }, "Save");
    const back = h("button", { type: "button", className: "secondary" }, "Cancel");
    back.addEventListener("click", cancel);
    const headingId = `edit-${template.id}`;
    const form = h(
      "form",
      { className: "template-form", "aria-labelledby": headingId },
      h("h3", { id: headingId }, `Edit “${template.name}”`),
      alert.element,
      fields.element,
      h("div", { className: "button-row" }, save, back),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      alert.clear();
      save.disabled = true;
      library
        .updateSummaryTemplate({
          summaryTemplate: { id: template.id, name: fields.name.value.trim(), instructions: fields.instructions.value.trim() },
          updateMask: { paths: ["name", "instructions"] },
        })
        .then(() => {
          toast("Template saved.");
          return load();
        })
        .catch((error: unknown) => showError(alert, error))
        .finally(() => {
          save.disabled = false;
        });
    });
    return form;
  }

  async function removeTemplate(template: SummaryTemplate): Promise<void> {
    // Documents summarized with it keep their summaries; say so, since "delete" sounds bigger.
    if (!confirm(`Delete the template “${template.name}”? Summaries already written with it stay.`)) return;
    try {
      await library.deleteSummaryTemplate({ summaryTemplateId: template.id });
      toast(`Deleted “${template.name}”.`);
      await load();
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  outlet.append(
    h(
      "section",
      { className: "templates-page" },
      h("h1", {}, "Summary templates"),
      h("p", {}, "Instructions for the summary of a kind of recording. Choose one when you upload or regenerate."),
      createForm(load),
      h("section", { "aria-labelledby": "templates-heading" }, h("h2", { id: "templates-heading" }, "Your templates"), listAlert.element, list),
    ),
  );
  void load();
};

function createForm(created: () => Promise<void>): HTMLElement {
  const fields = templateFields();
  const alert = alertBox();
  const submit = h("button", { type: "submit" }, "Create template");
  const form = h(
    "form",
    { className: "card template-form", "aria-labelledby": "new-template-heading" },
    h("h2", { id: "new-template-heading" }, "New template"),
    alert.element,
    fields.element,
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    alert.clear();
    submit.disabled = true;
    library
      .createSummaryTemplate({
        summaryTemplate: { name: fields.name.value.trim(), instructions: fields.instructions.value.trim() },
      })
      .then(({ summaryTemplate }) => {
        form.reset();
        toast(`Template “${summaryTemplate?.name ?? ""}” created.`);
        return created();
      })
      .catch((error: unknown) => showError(alert, error))
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}

function templateFields(template?: SummaryTemplate): {
  element: HTMLElement;
  name: HTMLInputElement;
  instructions: HTMLTextAreaElement;
} {
  const name = h("input", { name: "template-name", required: true, maxlength: NAME_MAX, value: template?.name ?? "" });
  const instructions = h("textarea", { name: "template-instructions", required: true, maxlength: INSTRUCTIONS_MAX, rows: 4 });
  instructions.value = template?.instructions ?? "";
  return {
    element: h(
      "div",
      { className: "template-fields" },
      labelled("Name", name, "For example “Lecture notes”, “Sales call” or “1:1”."),
      labelled("Instructions", instructions, "What the summary should contain, in plain words."),
    ),
    name,
    instructions,
  };
}
