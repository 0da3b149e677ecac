// Upload panel: drop files or pick them, choose language and summary length, and watch each
// file's bytes go up in its own progress bar. Two files travel at a time: browsers allow six
// HTTP/1.1 connections per origin and the rest of the page still needs some.

import { h, labelled, progressBar } from "../dom";
import { describeError, statusName } from "../errors";
import { formatBytes, LANGUAGE_CHOICES, LENGTH_CHOICES } from "../format";
import type { Document, SummaryLength } from "../gen/speechflow/library/v1/library_pb";
import { templateChoice } from "../templates";
import { toast } from "../toast";
import { uploadFile } from "../uploader";

const PARALLEL_UPLOADS = 2;

export interface UploadTarget {
  folderId(): string;
  onUploaded(document: Document): void;
}

export interface UploadPanel {
  element: HTMLElement;
  /** Where the next files go and who hears about finished ones (the library view showing). */
  target: UploadTarget;
  /** Cancels uploads still running (the user signed out). */
  cancelAll(): void;
  /** Reloads the summary templates offered. */
  refreshTemplates(): Promise<void>;
}

let shared: UploadPanel | null = null;

/**
 * One panel for the whole session: uploads keep going, with their progress bars, while the
 * user opens a document or changes folder, and show up again back in the library.
 */
export function sharedUploadPanel(target: UploadTarget): UploadPanel {
  shared ??= createUploadPanel();
  shared.target = target;
  // Templates made on the templates page since the panel was built show up as choices.
  void shared.refreshTemplates();
  return shared;
}

export function cancelUploads(): void {
  shared?.cancelAll();
  shared = null;
}

function createUploadPanel(): UploadPanel {
  let controller = new AbortController();
  const queue: (() => Promise<void>)[] = [];
  let running = 0;

  const language = h(
    "select",
    { name: "language" },
    LANGUAGE_CHOICES.map(([value, label]) => h("option", { value }, label)),
  );
  const length = h(
    "select",
    { name: "summary-length" },
    LENGTH_CHOICES.map(([value, label]) => h("option", { value: String(value) }, label)),
  );
  const template = templateChoice();
  const picker = h("input", {
    id: "upload-picker",
    type: "file",
    multiple: true,
    className: "visually-hidden",
    accept: "audio/*,video/*,.mp3,.wav,.m4a,.ogg,.opus,.flac,.webm,.mp4,.mkv",
  });
  const list = h("ul", { className: "upload-list", "aria-label": "Uploads" });
  const dropzone = h(
    "div",
    { className: "dropzone" },
    h("p", {}, "Drop recordings here, or"),
    // A styled label keeps the native file input (and its keyboard handling) underneath.
    h("label", { for: picker.id, className: "button" }, "Choose files"),
    picker,
    h("p", { className: "hint" }, "Audio or video, several at once."),
  );

  picker.addEventListener("change", () => {
    addFiles(picker.files);
    picker.value = "";
  });
  dropzone.addEventListener("dragover", (event) => {
    event.preventDefault();
    dropzone.classList.add("dragging");
  });
  dropzone.addEventListener("dragleave", () => dropzone.classList.remove("dragging"));
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropzone.classList.remove("dragging");
    addFiles(event.dataTransfer?.files ?? null);
  });

  function addFiles(files: FileList | null): void {
    for (const file of Array.from(files ?? [])) {
      queue.push(() => uploadOne(file));
    }
    pump();
  }

  function pump(): void {
    while (running < PARALLEL_UPLOADS && queue.length > 0) {
      const next = queue.shift();
      if (!next) break;
      running += 1;
      void next().finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  async function uploadOne(file: File): Promise<void> {
    const bar = progressBar(`Upload of ${file.name}`);
    const state = h("span", { className: "upload-state" }, "Waiting…");
    const item = h(
      "li",
      { className: "upload-item" },
      h("span", { className: "upload-name" }, file.name, " ", h("small", {}, formatBytes(file.size))),
      bar.element,
      state,
    );
    list.prepend(item);
    bar.set(0, "0 %");
    try {
      const document = await uploadFile(file, {
        folderId: panel.target.folderId(),
        language: language.value,
        summaryLength: Number(length.value) as SummaryLength,
        summaryTemplateId: template.select.value,
        signal: controller.signal,
        onProgress(sent, total) {
          const percent = total === 0 ? 100 : (sent / total) * 100;
          bar.set(percent, `${Math.floor(percent)} % · ${formatBytes(sent)} of ${formatBytes(total)}`);
          state.textContent = "Uploading…";
        },
      });
      item.classList.add("done");
      toast(`${file.name} is uploaded and being processed.`);
      state.replaceChildren(
        "Uploaded, processing. ",
        h("a", { href: `/documents/${document.id}` }, `Open ${document.title || file.name}`),
      );
      panel.target.onUploaded(document);
    } catch (error) {
      // A refused file shows why, not a full progress bar: the bytes arrived, the file did not.
      item.classList.add("failed");
      bar.element.hidden = true;
      state.dataset.status = statusName(error);
      state.replaceChildren(h("span", { role: "alert" }, "Not uploaded: ", describeError(error)));
    }
  }

  const element = h(
    "section",
    { className: "card upload-panel", "aria-labelledby": "upload-heading" },
    h("h2", { id: "upload-heading" }, "Upload recordings"),
    h("div", { className: "upload-options" }, labelled("Language", language), labelled("Summary length", length), template.field),
    dropzone,
    list,
  );
  const panel: UploadPanel = {
    element,
    target: { folderId: () => "", onUploaded: () => undefined },
    refreshTemplates: template.refresh,
    cancelAll() {
      queue.length = 0;
      controller.abort();
      controller = new AbortController();
    },
  };
  return panel;
}
