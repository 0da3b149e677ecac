// One document: live progress while it is processed (WatchDocument, streamed over gRPC-Web);
// then the recording's player beside its transcript (follow-along, find, speakers, inline
// edits), the summary, the PDF report shown inline, exports and the actions that change it.
// `?t=83` opens it at 1:23 (search results link there).

import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { alertBox, h, labelled, progressBar, replace } from "../dom";
import { createPlayer, type Player } from "../document/player";
import { summaryCard } from "../document/summary";
import { createTranscriptPanel, type TranscriptPanel } from "../document/transcript";
import { downloadStored, exportMenu } from "../document/exports";
import { sharePanel } from "../document/share";
import { describeError, showError } from "../errors";
import {
  formatBytes,
  formatDate,
  formatDuration,
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
  type Folder,
  type SummaryLength,
  type WatchDocumentResponse,
} from "../gen/speechflow/library/v1/library_pb";
import { library } from "../rpc";
import { navigate, type View } from "../router";
import { toast } from "../toast";

// Codes after which watching again may work (a restart, a dropped connection).
const RECONNECTABLE = new Set([Code.Unavailable, Code.Unknown, Code.Internal, Code.DeadlineExceeded]);
const MAX_RECONNECT_DELAY_MS = 10_000;

const SUMMARY_LANGUAGES: [string, string][] = [
  ["", "Same as the recording"],
  ["en", "English"],
  ["fr", "French"],
];

export const documentView: View = (outlet, params, query) => {
  const documentId = params.documentId ?? "";
  const startAt = Number(query.get("t") ?? "");
  let watchController = new AbortController();
  let disposed = false;
  let folders: Folder[] = [];
  let current: Document | null = null;
  let player: Player | null = null;
  let transcript: TranscriptPanel | null = null;

  const alert = alertBox();
  const title = h("h1", {}, "Loading…");
  const meta = h("p", { className: "meta" });
  const badge = h("span", { className: "badge" });
  const progress = progressBar("Processing progress");
  const stage = h("p", { className: "stage", id: "stage-text" });
  const toolbar = h("div", { className: "document-toolbar" });
  const mediaColumn = h("div", { className: "document-media" });
  const sideColumn = h("div", { className: "document-side" });
  const summarySlot = h("div", { className: "summary-slot" });
  const editSlot = h("div", { className: "edit-slot" });
  const pdfSlot = h("div", { className: "pdf-slot" });
  // Counts states received over WatchDocument: shows (and lets tests check) that the stream is live.
  const progressCard = h(
    "section",
    { className: "card progress-card", "aria-labelledby": "progress-heading", "data-stream-updates": 0 },
    h("h2", { id: "progress-heading", className: "visually-hidden" }, "Progress"),
    progress.element,
    stage,
  );
  let streamUpdates = 0;
  sideColumn.append(summarySlot, editSlot);

  outlet.append(
    h(
      "article",
      { className: "document" },
      h("p", { className: "back" }, h("a", { href: "/" }, "← Library")),
      h("header", { className: "document-header" }, title, badge),
      meta,
      alert.element,
      progressCard,
      toolbar,
      h("div", { className: "document-layout" }, mediaColumn, sideColumn),
      pdfSlot,
    ),
  );

  function showState(status: DocumentStatus, percent: number, text: string): void {
    badge.className = statusClass(status);
    badge.textContent = STATUS_LABELS[status];
    progress.set(percent);
    stage.textContent = text;
    // A finished document needs no progress bar; it comes back while a new summary is written.
    progressCard.hidden = status === DocumentStatus.COMPLETED;
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

  async function loadFolders(): Promise<void> {
    try {
      folders = (await library.listFolders({ pageSize: 100 })).folders;
      if (current && !disposed) render(current);
    } catch {
      // The folder line is a nicety; the document itself still shows.
    }
  }

  function folderLine(document: Document): HTMLElement {
    const folder = folders.find((candidate) => candidate.id === document.folderId);
    if (!document.folderId) return h("span", { className: "folder-line" }, "Not in a folder");
    return h(
      "span",
      { className: "folder-line" },
      "In ",
      h("a", { href: `/?folder=${encodeURIComponent(document.folderId)}` }, folder ? folder.name : "its folder"),
    );
  }

  function render(document: Document): void {
    current = document;
    const name = document.title || document.originalFileName;
    title.textContent = name;
    window.document.title = `${name} · SpeechFlow`;
    const language = document.language || document.detectedLanguage;
    replace(
      meta,
      folderLine(document),
      ...[
        document.originalFileName,
        formatBytes(document.sizeBytes),
        formatDuration(document.duration),
        language ? language.toUpperCase() : "",
        document.speakerCount > 1 ? `${document.speakerCount} speakers` : "",
        formatDate(document.createTime),
      ]
        .filter(Boolean)
        .map((part) => ` · ${part}`),
    );
    showState(document.status, document.progress, stageText(document.status, document.stage, document.errorMessage));
    replace(toolbar, ...toolbarButtons(document));
    replace(editSlot, editForms(document));
    renderMedia(document);
    renderResults(document);
  }

  /** The player and the transcript are made once: re-rendering must not stop the playback. */
  function renderMedia(document: Document): void {
    if (!player && document.status !== DocumentStatus.UPLOADING && document.originalFileName) {
      player = createPlayer(documentId, document.contentType);
      mediaColumn.append(player.element);
    }
    if (player && !transcript && document.status === DocumentStatus.COMPLETED) {
      const panel = createTranscriptPanel(documentId, player, () => void refreshAfterEdit());
      transcript = panel;
      mediaColumn.append(panel.element);
      void panel.load().then(() => {
        if (Number.isFinite(startAt) && startAt > 0 && player) {
          player.seek(startAt);
          panel.reveal(startAt);
        }
      });
    }
  }

  function renderResults(document: Document): void {
    if (document.status !== DocumentStatus.COMPLETED) {
      summarySlot.replaceChildren();
      return;
    }
    replace(summarySlot, summaryCard(document, (time) => player?.seek(time, true)));
    const frame = pdfSlot.querySelector<HTMLIFrameElement>("iframe.pdf-viewer");
    // A new PDF (after an edit or a regenerate) gets a fresh link; an unchanged one stays.
    const version = String(document.updateTime?.seconds ?? "");
    if (!document.hasPdf) {
      pdfSlot.replaceChildren();
    } else if (!frame || frame.dataset.version !== version) {
      const container = h("div", { className: "pdf-frame" });
      replace(
        pdfSlot,
        h(
          "section",
          { className: "card pdf-card", "aria-labelledby": "pdf-heading" },
          h("h2", { id: "pdf-heading" }, "PDF report"),
          container,
        ),
      );
      void showPdf(container, version);
    }
  }

  async function showPdf(container: HTMLElement, version: string): Promise<void> {
    try {
      // The link the library gives for viewing is served `inline`: the iframe shows it and
      // the browser downloads nothing. "Download PDF" asks for the file itself.
      const { url } = await library.getDownloadUrl({ documentId, kind: FileKind.PDF });
      replace(container, h("iframe", { src: url, title: "PDF report", className: "pdf-viewer", "data-version": version }));
    } catch (error) {
      replace(container, h("p", { role: "alert" }, describeError(error)));
    }
  }

  async function refreshAfterEdit(): Promise<void> {
    try {
      const { document } = await library.getDocument({ documentId });
      if (!document || disposed) return;
      render(document);
      if (document.status === DocumentStatus.PROCESSING) void watch();
    } catch (error) {
      showError(alert, error);
    }
  }

  function stem(document: Document): string {
    return document.title || document.originalFileName.replace(/\.[^.]+$/, "") || "document";
  }

  function toolbarButtons(document: Document): HTMLElement[] {
    const completed = document.status === DocumentStatus.COMPLETED;
    const pdf = h("button", { type: "button", disabled: !document.hasPdf }, "Download PDF");
    pdf.addEventListener("click", () => {
      downloadStored(documentId, FileKind.PDF, `${stem(document)}.pdf`).catch((error: unknown) => toast(describeError(error), "error"));
    });
    const original = h("button", { type: "button", className: "secondary" }, "Download recording");
    original.addEventListener("click", () => void downloadOriginal());
    return [
      pdf,
      completed ? exportMenu(documentId, stem(document)) : null,
      original,
      sharePanel(documentId),
      h("button", { type: "button", className: "danger", onclick: () => void remove(document) }, "Delete"),
    ].filter((button): button is HTMLButtonElement | HTMLDetailsElement => button !== null);
  }

  async function downloadOriginal(): Promise<void> {
    try {
      // A link rather than a blob: a recording can be hundreds of megabytes. A fresh one on
      // every click, so a page left open longer than the link lives still works.
      const { url } = await library.getDownloadUrl({ documentId, kind: FileKind.ORIGINAL });
      const link = h("a", { href: url, download: current?.originalFileName ?? "" });
      window.document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  function editForms(document: Document): HTMLElement {
    const completed = document.status === DocumentStatus.COMPLETED;
    const titleInput = h("input", { name: "title", value: document.title, required: true, maxlength: 200 });
    const renameForm = h(
      "form",
      { className: "inline-form" },
      labelled("Title", titleInput),
      h("button", { type: "submit", className: "secondary" }, "Rename"),
    );
    renameForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const newTitle = titleInput.value.trim();
      void update({ id: documentId, title: newTitle }, "title", `Renamed to “${newTitle}”.`);
    });

    const folderSelect = h(
      "select",
      { name: "folder" },
      h("option", { value: "" }, "No folder"),
      folders.map((folder) => h("option", { value: folder.id }, folder.name)),
    );
    folderSelect.value = document.folderId;
    const moveForm = h(
      "form",
      { className: "inline-form" },
      labelled("Folder", folderSelect),
      h("button", { type: "submit", className: "secondary" }, "Move"),
    );
    moveForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const target = folders.find((folder) => folder.id === folderSelect.value);
      void update(
        { id: documentId, folderId: folderSelect.value },
        "folder_id",
        target ? `Moved to “${target.name}”.` : "Taken out of its folder.",
      );
    });

    const language = h(
      "select",
      { name: "summary-language" },
      SUMMARY_LANGUAGES.map(([value, label]) => h("option", { value }, label)),
    );
    language.value = document.summaryLanguage;
    const length = h(
      "select",
      { name: "summary-length" },
      LENGTH_CHOICES.map(([value, label]) => h("option", { value: String(value) }, label)),
    );
    if (document.summaryLength) length.value = String(document.summaryLength);
    const template = h("select", { name: "summary-template" }, h("option", { value: "" }, "Default summary"));
    const templateField = labelled("Template", template);
    templateField.hidden = true;
    void library
      .listSummaryTemplates({ pageSize: 100 })
      .then(({ summaryTemplates }) => {
        for (const item of summaryTemplates) template.append(h("option", { value: item.id }, item.name));
        template.value = document.summaryTemplateId;
        templateField.hidden = summaryTemplates.length === 0;
      })
      // No templates (or a server without them): the default summary, without a choice.
      .catch(() => undefined);
    const regenerate = h(
      "button",
      { type: "submit", disabled: !completed && document.status !== DocumentStatus.FAILED },
      "Regenerate",
    );
    // Regenerating sends no email unless asked: the first one said the summary was ready.
    const notify = h("input", { type: "checkbox", name: "notify" });
    const regenerateForm = h(
      "form",
      { className: "inline-form" },
      labelled("Summary language", language),
      labelled("Summary length", length),
      templateField,
      h("label", { className: "checkbox-field" }, notify, " Email me when it is ready"),
      regenerate,
    );
    regenerateForm.addEventListener("submit", (event) => {
      event.preventDefault();
      alert.clear();
      library
        .regenerateDocument({
          documentId,
          summaryLanguage: language.value,
          summaryLength: Number(length.value) as SummaryLength,
          summaryTemplateId: template.value,
          notify: notify.checked,
        })
        .then(({ document: updated }) => {
          toast("Writing a new summary and PDF…");
          if (updated) render(updated);
          void watch();
        })
        .catch((error: unknown) => toast(describeError(error), "error"));
    });

    return h(
      "section",
      { className: "card edit-forms", "aria-label": "Change the document" },
      renameForm,
      moveForm,
      regenerateForm,
    );
  }

  async function update(fields: MessageInitShape<typeof DocumentSchema>, path: string, done: string): Promise<void> {
    alert.clear();
    try {
      const { document } = await library.updateDocument({ document: fields, updateMask: { paths: [path] } });
      if (document) render(document);
      toast(done);
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  async function remove(document: Document): Promise<void> {
    const name = document.title || document.originalFileName;
    if (!confirm(`Delete “${name}” and all its files?`)) return;
    try {
      await library.deleteDocument({ documentId });
      toast(`Deleted “${name}”.`);
      navigate("/");
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  void loadFolders();
  void load();
  return () => {
    disposed = true;
    watchController.abort();
    player?.media.pause();
    transcript?.dispose();
    window.document.title = "SpeechFlow";
  };
};
