// Exports and downloads, fetched over gRPC-Web (ExportDocument, DownloadDocument) with the
// access token and saved from a blob: a plain link to the REST URL would go out without the
// token. The browser saves the file because of the `download` attribute, whatever the
// server's Content-Disposition says; nothing here ever opens by itself.

import { h } from "../dom";
import { describeError } from "../errors";
import { ExportFormat, FileKind } from "../gen/speechflow/library/v1/library_pb";
import { library } from "../rpc";
import { toast } from "../toast";

export const EXPORT_CHOICES: [ExportFormat, string][] = [
  [ExportFormat.TXT, "Text (.txt)"],
  [ExportFormat.SRT, "Subtitles (.srt)"],
  [ExportFormat.VTT, "Web subtitles (.vtt)"],
  [ExportFormat.JSON, "JSON (.json)"],
  [ExportFormat.MARKDOWN, "Markdown (.md)"],
  [ExportFormat.DOCX, "Word (.docx)"],
];

export function saveBlob(parts: Uint8Array[], contentType: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob(parts as BlobPart[], { type: contentType || "application/octet-stream" }));
  const link = h("a", { href: url, download: fileName || "download" });
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the save; the blob may go once the browser has it.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function exportAs(documentId: string, format: ExportFormat, fallbackName: string): Promise<void> {
  const parts: Uint8Array[] = [];
  let contentType = "";
  let fileName = "";
  for await (const chunk of library.exportDocument({ documentId, format })) {
    contentType ||= chunk.contentType;
    fileName ||= chunk.fileName;
    parts.push(chunk.data);
  }
  saveBlob(parts, contentType, fileName || fallbackName);
}

export async function downloadStored(documentId: string, kind: FileKind, fallbackName: string): Promise<void> {
  const parts: Uint8Array[] = [];
  let contentType = "";
  let fileName = "";
  for await (const chunk of library.downloadDocument({ documentId, kind })) {
    contentType ||= chunk.contentType;
    fileName ||= chunk.fileName;
    parts.push(chunk.data);
  }
  saveBlob(parts, contentType, fileName || fallbackName);
}

/** A menu button listing every export format. */
export function exportMenu(documentId: string, stem: string): HTMLElement {
  const menu = h("details", { className: "menu export-menu" });
  const items = EXPORT_CHOICES.map(([format, label]) =>
    h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          className: "menu-item",
          "data-format": ExportFormat[format].toLowerCase(),
          onclick: () => {
            menu.open = false;
            exportAs(documentId, format, `${stem}.${ExportFormat[format].toLowerCase()}`).catch((error: unknown) =>
              toast(describeError(error), "error"),
            );
          },
        },
        label,
      ),
    ),
  );
  menu.append(h("summary", { className: "button secondary" }, "Export"), h("ul", { className: "menu-list" }, items));
  return menu;
}
