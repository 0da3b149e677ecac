// Library thumbnails, fetched over gRPC-Web (DownloadDocument) and shown from blob: URLs: the
// page's CSP allows blob: images, while a presigned object-store link would be another origin.
// Cached per document version, so the list's refreshes do not fetch them again.

import { h } from "./dom";
import { FileKind, type Document } from "./gen/speechflow/library/v1/library_pb";
import { library } from "./rpc";

const cache = new Map<string, Promise<string | null>>();

function thumbnailUrl(document: Document): Promise<string | null> {
  const key = `${document.id}@${document.updateTime?.seconds ?? ""}`;
  let url = cache.get(key);
  if (!url) {
    url = (async () => {
      const parts: Uint8Array[] = [];
      for await (const chunk of library.downloadDocument({ documentId: document.id, kind: FileKind.THUMBNAIL })) {
        parts.push(chunk.data);
      }
      return URL.createObjectURL(new Blob(parts as BlobPart[], { type: "image/png" }));
    })().catch(() => null);
    cache.set(key, url);
  }
  return url;
}

/** A fixed-size box that gets the document's thumbnail when it has one. */
export function thumbnail(document: Document): HTMLElement {
  const box = h("span", { className: "thumb", "aria-hidden": "true" });
  if (!document.hasThumbnail) return box;
  void thumbnailUrl(document).then((url) => {
    if (url) box.append(h("img", { src: url, alt: "", loading: "lazy" }));
  });
  return box;
}
