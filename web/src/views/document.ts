// One document: live progress while it is processed (WatchDocument, streamed over gRPC-Web),
// then its summary, key points, action items, transcript and the PDF report, with the actions
// that change it.

import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { alertBox, h, labelled, progressBar, replace } from "../dom";
import { describeError, showError } from "../errors";
import {
  formatBytes,
  formatDate,
  formatDuration,
  LANGUAGE_CHOICES,
  LENGTH_CHOICES,
  STATUS_LABELS,
  stageText,
  statusClass,
} from "../format";
import {
  DocumentStatus,
  type DocumentSchema,
  FileKind,
  type Document,
  type SummaryLength,
  type WatchDocumentResponse,
} from "../gen/speechflow/library/v1/library_pb";
import { library } from "../rpc";
import { navigate, type View } from "../router";

// Codes after which watching again may work (a restart, a dropped connection).
const RECONNECTABLE = new Set([Code.Unavailable, Code.Unknown, Code.Internal, Code.DeadlineExceeded]);
const MAX_RECONNECT_DELAY_MS = 10_000;

export const documentView: View = (outlet, params) => {
  const documentId = params.documentId ?? "";
  let watchController = new AbortController();
  let disposed = false;

  const alert = alertBox();
  const title = h("h1", {}, "Loading…");
  const meta = h("p", { className: "meta" });
  const badge = h("span", { className: "badge" });
  const progress = progressBar("Processing progress");
  const stage = h("p", { className: "stage", id: "stage-text" });
  const actions = h("div", { className: "document-actions" });
  const content = h("div", { className: "document-content" });
  // Counts states received over WatchDocument: shows (and lets tests check) that the stream is live.
  const progressCard = h(
    "section",
    { className: "card progress-card", "aria-labelledby": "progress-heading", "data-stream-updates": 0 },
    h("h2", { id: "progress-heading", className: "visually-hidden" }, "Progress"),
    progress.element,
    stage,
  );
  let streamUpdates = 0;

  outlet.append(
    h(
      "article",
      { className: "document" },
      h("p", {}, h("a", { href: "/" }, "← Library")),
      h("header", { className: "document-header" }, title, badge),
      meta,
      alert.element,
      progressCard,
      actions,
      content,
    ),
  );

  function showState(status: DocumentStatus, percent: number, text: string): void {
    badge.className = statusClass(status);
    badge.textContent = STATUS_LABELS[status];
    progress.set(percent);
    stage.textContent = text;
  }

  function showUpdate(update: WatchDocumentResponse): void {
    showState(update.status, update.progress, stageText(update.status, update.stage, update.message));
  }

  async function watch(): Promise<void> {
    watchController.abort();
    const controller = new AbortController();
    watchController = controller;
    let delay = 500;
    while (!controller.signal.aborted) {
      try {
        for await (const update of library.watchDocument({ documentId }, { signal: controller.signal })) {
          delay = 500;
          streamUpdates += 1;
          progressCard.dataset.streamUpdates = String(streamUpdates);
          showUpdate(update);
        }
        // The server closes the stream at COMPLETED or FAILED: show the results.
        if (!controller.signal.aborted) await load();
        return;
      } catch (error) {
        if (controller.signal.aborted) return;
        if (!RECONNECTABLE.has(ConnectError.from(error).code)) {
          showError(alert, error);
          return;
        }
        stage.textContent = "Connection lost, reconnecting…";
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
      }
    }
  }

  async function load(): Promise<void> {
    try {
      const { document } = await library.getDocument({ documentId });
      if (!document || disposed) return;
      render(document);
      if (document.status === DocumentStatus.PROCESSING || document.status === DocumentStatus.UPLOADING) {
        void watch();
      }
    } catch (error) {
      if (disposed) return;
      showError(alert, error);
      title.textContent = "Document unavailable";
    }
  }

  function render(document: Document): void {
    const name = document.title || document.originalFileName;
    title.textContent = name;
    window.document.title = `${name} · SpeechFlow`;
    replace(
      meta,
      [
        document.originalFileName,
        formatBytes(document.sizeBytes),
        formatDuration(document.duration),
        document.language || document.detectedLanguage ? (document.language || document.detectedLanguage).toUpperCase() : "",
        formatDate(document.createTime),
      ]
        .filter(Boolean)
        .join(" · "),
    );
    showState(
      document.status,
      document.progress,
      stageText(document.status, document.stage, document.errorMessage),
    );
    replace(actions, ...actionForms(document));
    renderContent(document);
  }

  function renderContent(document: Document): void {
    if (document.status !== DocumentStatus.COMPLETED) {
      content.replaceChildren();
      return;
    }
    const list = (items: string[]) =>
      items.length ? h("ul", {}, items.map((item) => h("li", {}, item))) : h("p", { className: "empty" }, "None.");
    const pdf = h("div", { className: "pdf-frame" });
    replace(
      content,
      h(
        "section",
        { className: "card", "aria-labelledby": "summary-heading" },
        h("h2", { id: "summary-heading" }, "Summary"),
        h("p", { className: "summary" }, document.summaryText || "No summary."),
        h("h3", {}, "Key points"),
        list(document.keyPoints),
        h("h3", {}, "Action items"),
        list(document.actionItems),
      ),
      document.hasPdf
        ? h(
            "section",
            { className: "card", "aria-labelledby": "pdf-heading" },
            h("h2", { id: "pdf-heading" }, "PDF report"),
            pdf,
          )
        : null,
      h(
        "section",
        { className: "card", "aria-labelledby": "transcript-heading" },
        h(
          "details",
          {},
          h("summary", {}, h("h2", { id: "transcript-heading" }, "Transcript")),
          h("p", { className: "transcript" }, document.transcriptText || "No transcript."),
        ),
      ),
    );
    if (document.hasPdf) void showPdf(pdf);
  }

  async function showPdf(container: HTMLElement): Promise<void> {
    try {
      const { url } = await library.getDownloadUrl({ documentId, kind: FileKind.PDF });
      replace(container, h("iframe", { src: url, title: "PDF report", className: "pdf-viewer" }));
    } catch (error) {
      replace(container, h("p", { role: "alert" }, describeError(error)));
    }
  }

  async function download(kind: FileKind): Promise<void> {
    alert.clear();
    try {
      // A fresh presigned URL on every click: a page left open longer than an hour still works.
      const { url } = await library.getDownloadUrl({ documentId, kind });
      const link = h("a", { href: url, download: "" });
      window.document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      showError(alert, error);
    }
  }

  function actionForms(document: Document): HTMLElement[] {
    const completed = document.status === DocumentStatus.COMPLETED;
    const downloads = h(
      "div",
      { className: "button-row" },
      h("button", { type: "button", disabled: !document.hasPdf, onclick: () => void download(FileKind.PDF) }, "Download PDF"),
      h("button", { type: "button", className: "secondary", onclick: () => void download(FileKind.ORIGINAL) }, "Download recording"),
      h("button", { type: "button", className: "danger", onclick: () => void remove(document) }, "Delete"),
    );

    const titleInput = h("input", { name: "title", value: document.title, required: true, maxlength: 200 });
    const renameForm = h(
      "form",
      { className: "inline-form" },
      labelled("Title", titleInput),
      h("button", { type: "submit", className: "secondary" }, "Rename"),
    );
    renameForm.addEventListener("submit", (event) => {
      event.preventDefault();
      void update({ id: documentId, title: titleInput.value.trim() }, "title");
    });

    const folderSelect = h("select", { name: "folder" }, h("option", { value: "" }, "No folder"));
    void library
      .listFolders({ pageSize: 100 })
      .then(({ folders }) => {
        for (const folder of folders) folderSelect.append(h("option", { value: folder.id }, folder.name));
        folderSelect.value = document.folderId;
      })
      .catch((error: unknown) => showError(alert, error));
    const moveForm = h(
      "form",
      { className: "inline-form" },
      labelled("Folder", folderSelect),
      h("button", { type: "submit", className: "secondary" }, "Move"),
    );
    moveForm.addEventListener("submit", (event) => {
      event.preventDefault();
      void update({ id: documentId, folderId: folderSelect.value }, "folder_id");
    });

    const language = h(
      "select",
      { name: "language" },
      LANGUAGE_CHOICES.map(([value, label]) => h("option", { value }, label)),
    );
    language.value = document.language;
    const length = h(
      "select",
      { name: "summary-length" },
      LENGTH_CHOICES.map(([value, label]) => h("option", { value: String(value) }, label)),
    );
    if (document.summaryLength) length.value = String(document.summaryLength);
    const regenerate = h("button", { type: "submit", disabled: !completed && document.status !== DocumentStatus.FAILED }, "Regenerate");
    const regenerateForm = h(
      "form",
      { className: "inline-form" },
      labelled("Summary language", language),
      labelled("Summary length", length),
      regenerate,
    );
    regenerateForm.addEventListener("submit", (event) => {
      event.preventDefault();
      alert.clear();
      library
        .regenerateDocument({ documentId, language: language.value, summaryLength: Number(length.value) as SummaryLength })
        .then(({ document: updated }) => {
          if (updated) render(updated);
          void watch();
        })
        .catch((error: unknown) => showError(alert, error));
    });

    return [
      downloads,
      h("div", { className: "card edit-forms" }, renameForm, moveForm, regenerateForm),
    ];
  }

  async function update(fields: MessageInitShape<typeof DocumentSchema>, path: string): Promise<void> {
    alert.clear();
    try {
      const { document } = await library.updateDocument({ document: fields, updateMask: { paths: [path] } });
      if (document) render(document);
    } catch (error) {
      showError(alert, error);
    }
  }

  async function remove(document: Document): Promise<void> {
    if (!confirm(`Delete “${document.title || document.originalFileName}” and all its files?`)) return;
    try {
      await library.deleteDocument({ documentId });
      navigate("/");
    } catch (error) {
      showError(alert, error);
    }
  }

  void load();
  return () => {
    disposed = true;
    watchController.abort();
    window.document.title = "SpeechFlow";
  };
};
