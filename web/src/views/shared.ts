// The page a share link opens (/s/<token>), for anyone, signed in or not: the recording's
// player beside its transcript (click a word to play from it), the summary, the PDF and the
// exports, read-only. Every call carries the link's token, which is its only credential; an
// expired or revoked link gets the server's own sentence and nothing else.

import { create } from "@bufbuild/protobuf";
import { seconds } from "../clock";
import { alertBox, h, replace } from "../dom";
import { createPlayer, type Player } from "../document/player";
import { summaryCard } from "../document/summary";
import { groupTurns, speakerClass, speakerName, turnElement } from "../document/turns";
import { EXPORT_CHOICES } from "../document/exports";
import { describeError, showError } from "../errors";
import { formatDate, formatDuration } from "../format";
import {
  DocumentSchema,
  DocumentStatus,
  ExportFormat,
  FileKind,
  type SharedDocument,
  type Transcript,
} from "../gen/speechflow/library/v1/library_pb";
import { library } from "../rpc";
import type { View } from "../router";
import "../document/share.css";

// The short names `GET /s/<token>?format=` takes (ExportSharedDocumentContent).
const FORMAT_NAMES: Partial<Record<ExportFormat, string>> = {
  [ExportFormat.TXT]: "txt",
  [ExportFormat.SRT]: "srt",
  [ExportFormat.VTT]: "vtt",
  [ExportFormat.JSON]: "json",
  [ExportFormat.MARKDOWN]: "md",
  [ExportFormat.DOCX]: "docx",
};

export const sharedView: View = (outlet, params) => {
  const token = params.token ?? "";
  let player: Player | null = null;
  let disposed = false;
  const alert = alertBox();
  const title = h("h1", {}, "Loading…");
  const meta = h("p", { className: "meta" });
  const body = h("div", { className: "document-layout" });
  const extras = h("div", {});
  outlet.append(
    h("article", { className: "document shared-document" }, h("header", { className: "document-header" }, title), meta, alert.element, body, extras),
  );

  const fileUrl = async (kind: FileKind, download = false): Promise<string> =>
    (await library.getSharedDownloadUrl({ token, kind, download })).url;

  function render(document: SharedDocument, transcript: Transcript | undefined): void {
    const name = document.title || "Shared recording";
    title.textContent = name;
    window.document.title = `${name} · SpeechFlow`;
    replace(
      meta,
      [
        formatDuration(document.duration),
        document.language ? document.language.toUpperCase() : "",
        formatDate(document.createTime),
        `Shared read-only until ${formatDate(document.expireTime)}`,
      ]
        .filter(Boolean)
        .join(" · "),
    );
    if (document.status !== DocumentStatus.COMPLETED) {
      replace(body, h("p", { className: "shared-note" }, "This recording is still being processed. Reload the page in a little while."));
      return;
    }
    const mediaColumn = h("div", { className: "document-media" });
    const sideColumn = h("div", { className: "document-side" });
    player = createPlayer("", document.contentType, () => fileUrl(FileKind.ORIGINAL));
    mediaColumn.append(player.element);
    if (transcript) mediaColumn.append(transcriptCard(transcript, player));
    // summaryCard reads a Document; a shared one carries only the structured summary.
    const seek = (time: number) => player?.seek(time, true);
    sideColumn.append(summaryCard(create(DocumentSchema, { summary: document.summary }), seek), exportsCard());
    replace(body, mediaColumn, sideColumn);
    if (document.hasPdf) void showPdf();
  }

  function exportsCard(): HTMLElement {
    return h(
      "section",
      { className: "card", "aria-labelledby": "shared-exports-heading" },
      h("h2", { id: "shared-exports-heading" }, "Downloads"),
      h(
        "p",
        { className: "shared-exports" },
        EXPORT_CHOICES.map(([format, label]) =>
          h("a", { className: "button secondary", href: `/s/${encodeURIComponent(token)}?format=${FORMAT_NAMES[format] ?? ""}`, download: "" }, label),
        ),
      ),
    );
  }

  async function showPdf(): Promise<void> {
    const container = h("div", { className: "pdf-frame" });
    const download = h("button", { type: "button", className: "secondary" }, "Download PDF");
    download.addEventListener("click", () => {
      fileUrl(FileKind.PDF, true)
        .then((url) => {
          const link = h("a", { href: url, download: "" });
          window.document.body.append(link);
          link.click();
          link.remove();
        })
        .catch((error: unknown) => showError(alert, error));
    });
    replace(
      extras,
      h("section", { className: "card pdf-card", "aria-labelledby": "pdf-heading" }, h("h2", { id: "pdf-heading" }, "PDF report"), download, container),
    );
    try {
      replace(container, h("iframe", { src: await fileUrl(FileKind.PDF), title: "PDF report", className: "pdf-viewer" }));
    } catch (error) {
      replace(container, h("p", { role: "alert" }, describeError(error)));
    }
  }

  void library
    .getSharedDocument({ token })
    .then(({ document, transcript }) => {
      if (document && !disposed) render(document, transcript);
    })
    .catch((error: unknown) => {
      if (disposed) return;
      title.textContent = "Link unavailable";
      showError(alert, error);
    });
  return () => {
    disposed = true;
    player?.media.pause();
    window.document.title = "SpeechFlow";
  };
};

/** The transcript, read-only: speakers, then the turns; a click on a word plays from it. */
function transcriptCard(transcript: Transcript, player: Player): HTMLElement {
  const turns = h(
    "div",
    { className: "turns", tabindex: "0", "aria-label": "Transcript text" },
    groupTurns(transcript).map((turn) => turnElement(transcript, turn)),
  );
  turns.addEventListener("click", (event) => {
    if (!window.getSelection()?.isCollapsed) return;
    const timed = (event.target as HTMLElement).closest<HTMLElement>(".word, .turn-time, .segment, .turn");
    const start = timed?.dataset.start;
    if (start !== undefined) player.seek(Number(start), true);
  });
  const speakers = h(
    "ul",
    { className: "speakers", "aria-label": "Speakers" },
    transcript.speakers.map((speaker) =>
      h("li", { className: `speaker ${speakerClass(transcript, speaker.id)}` }, speakerName(transcript.speakers, speaker.id)),
    ),
  );
  const count = transcript.speakers.length;
  const minutes = Math.round(seconds(transcript.duration) / 60);
  const caption = `${count} ${count === 1 ? "speaker" : "speakers"}${minutes > 0 ? ` · ${minutes} min` : ""}`;
  return h(
    "section",
    { className: "card transcript-card", "aria-labelledby": "transcript-heading" },
    h("header", { className: "card-header" }, h("h2", { id: "transcript-heading" }, "Transcript"), h("small", {}, caption)),
    h("div", { className: "transcript-body" }, speakers, turns),
  );
}
