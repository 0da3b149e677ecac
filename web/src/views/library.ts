// The library: folders on the side, status filter, one page of documents at a time; with
// words in the search box, ranked results (SearchDocuments) with snippets whose links open
// the document at the moment the words were said. Filters live in the URL
// (?folder=&status=&q=) so reloads and the back button keep them.

import { Code } from "@connectrpc/connect";
import { clock, seconds } from "../clock";
import { alertBox, h, labelled, replace } from "../dom";
import { describeError, errorCode, showError } from "../errors";
import { formatDate, formatDuration, STATUS_LABELS, statusClass, STAGE_LABELS } from "../format";
import {
  DocumentStatus,
  type Document,
  type Folder,
  type SearchResult,
  type SearchSnippet,
} from "../gen/speechflow/library/v1/library_pb";
import { library } from "../rpc";
import { navigate, type View } from "../router";
import { thumbnail } from "../thumbnails";
import { toast } from "../toast";
import { sharedUploadPanel } from "./upload";

const PAGE_SIZE = 10;
// While something on the page is processing, the list refreshes itself. Polling, not one
// WatchDocument per row: each open stream holds one of the browser's six connections.
const REFRESH_MS = 3000;

export const libraryView: View = (outlet, _params, query) => {
  const folderId = query.get("folder") ?? "";
  const status = Number(query.get("status") ?? "0") as DocumentStatus;
  const search = query.get("q") ?? "";
  const pageTokens: string[] = [""];
  let folders: Folder[] = [];
  let timer: number | undefined;
  let disposed = false;
  // Until the library answers UNIMPLEMENTED for SearchDocuments.
  let searchAvailable = true;

  const alert = alertBox();
  const sidebar = h("nav", { className: "sidebar card", "aria-label": "Folders" });
  const heading = h("h1", {}, "All documents");
  const results = h("div", { className: "results", "aria-live": "polite", "aria-busy": "true" });
  const pager = h("div", { className: "pager" });

  const upload = sharedUploadPanel({
    folderId: () => folderId,
    onUploaded: () => {
      void loadFolders();
      void loadPage();
    },
  });

  const searchInput = h("input", {
    type: "search",
    name: "q",
    value: search,
    placeholder: "Words said, in a title or a summary",
  });
  const statusSelect = h(
    "select",
    { name: "status" },
    h("option", { value: "0" }, "Any status"),
    [DocumentStatus.PROCESSING, DocumentStatus.COMPLETED, DocumentStatus.FAILED, DocumentStatus.UPLOADING].map(
      (value) => h("option", { value: String(value) }, STATUS_LABELS[value]),
    ),
  );
  statusSelect.value = String(status);
  const filters = h(
    "form",
    { className: "filters", role: "search" },
    labelled("Search", searchInput),
    labelled("Status", statusSelect),
    h("button", { type: "submit" }, "Search"),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    applyFilters({ q: searchInput.value.trim(), status: statusSelect.value });
  });
  statusSelect.addEventListener("change", () => applyFilters({ status: statusSelect.value }));

  function applyFilters(changes: Record<string, string>): void {
    const next = new URLSearchParams(location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value && value !== "0") next.set(key, value);
      else next.delete(key);
    }
    const text = next.toString();
    navigate(text ? `/?${text}` : "/");
  }

  function folderHref(id: string): string {
    const next = new URLSearchParams(location.search);
    if (id) next.set("folder", id);
    else next.delete("folder");
    const text = next.toString();
    return text ? `/?${text}` : "/";
  }

  async function loadFolders(): Promise<void> {
    try {
      folders = (await library.listFolders({ pageSize: 100 })).folders;
    } catch (error) {
      showError(alert, error);
    }
    if (disposed) return;
    const current = folders.find((folder) => folder.id === folderId);
    heading.textContent = current ? current.name : "All documents";
    renderSidebar(current);
  }

  function renderSidebar(current: Folder | undefined): void {
    const link = (id: string, label: string, count?: number) =>
      h(
        "li",
        {},
        h(
          "a",
          { href: folderHref(id), "aria-current": id === folderId ? "page" : null },
          h("span", {}, label),
          count === undefined ? null : h("span", { className: "count" }, count),
        ),
      );
    const name = h("input", { name: "folder-name", required: true, maxlength: 100 });
    const createForm = h(
      "form",
      { className: "inline-form" },
      labelled("New folder", name),
      h("button", { type: "submit", className: "secondary" }, "Add"),
    );
    createForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const folderName = name.value.trim();
      library
        .createFolder({ folder: { name: folderName } })
        .then(() => {
          toast(`Folder “${folderName}” created.`);
          return loadFolders();
        })
        .catch((error: unknown) => toast(describeError(error), "error"));
    });
    replace(
      sidebar,
      h("h2", {}, "Folders"),
      h("ul", {}, link("", "All documents"), folders.map((f) => link(f.id, f.name, f.documentCount))),
      createForm,
      current ? folderActions(current) : null,
    );
  }

  function folderActions(folder: Folder): HTMLElement {
    const rename = h("button", { type: "button", className: "secondary" }, "Rename folder");
    const remove = h("button", { type: "button", className: "danger" }, "Delete folder");
    rename.addEventListener("click", () => {
      const name = prompt("New name of the folder", folder.name)?.trim();
      if (!name || name === folder.name) return;
      library
        .updateFolder({ folder: { id: folder.id, name }, updateMask: { paths: ["name"] } })
        .then(() => {
          toast(`Folder renamed to “${name}”.`);
          return loadFolders();
        })
        .catch((error: unknown) => toast(describeError(error), "error"));
    });
    remove.addEventListener("click", () => {
      if (!confirm(`Delete the folder “${folder.name}”? Its documents stay in the library.`)) return;
      library
        .deleteFolder({ folderId: folder.id })
        .then(() => {
          toast(`Folder “${folder.name}” deleted; its documents stay in the library.`);
          navigate(folderHref(""));
        })
        .catch((error: unknown) => toast(describeError(error), "error"));
    });
    return h("div", { className: "folder-actions" }, rename, remove);
  }

  async function loadPage(): Promise<void> {
    if (search && searchAvailable) {
      await loadSearch();
      return;
    }
    window.clearTimeout(timer);
    const pageToken = pageTokens[pageTokens.length - 1] ?? "";
    results.setAttribute("aria-busy", "true");
    try {
      const page = await library.listDocuments({
        pageSize: PAGE_SIZE,
        pageToken,
        folderId,
        status,
        query: search,
      });
      if (disposed) return;
      alert.clear();
      renderDocuments(page.documents, page.totalSize);
      renderPager(page.nextPageToken, page.totalSize);
      const busy = page.documents.some(
        (d) => d.status === DocumentStatus.PROCESSING || d.status === DocumentStatus.UPLOADING,
      );
      if (busy) timer = window.setTimeout(() => void loadPage(), REFRESH_MS);
    } catch (error) {
      if (disposed) return;
      showError(alert, error);
      results.replaceChildren(h("p", { className: "empty" }, describeError(error)));
    } finally {
      results.setAttribute("aria-busy", "false");
    }
  }

  async function loadSearch(): Promise<void> {
    const pageToken = pageTokens[pageTokens.length - 1] ?? "";
    results.setAttribute("aria-busy", "true");
    try {
      const page = await library.searchDocuments({ query: search, folderId, pageSize: PAGE_SIZE, pageToken });
      if (disposed) return;
      alert.clear();
      renderSearchResults(page.results);
      renderSearchPager(page.nextPageToken);
    } catch (error) {
      if (disposed) return;
      if (errorCode(error) === Code.Unimplemented) {
        // An older library: the plain title/text filter of ListDocuments still finds things.
        searchAvailable = false;
        await loadPage();
        return;
      }
      showError(alert, error);
      results.replaceChildren(h("p", { className: "empty" }, describeError(error)));
    } finally {
      results.setAttribute("aria-busy", "false");
    }
  }

  function renderSearchResults(found: SearchResult[]): void {
    if (found.length === 0) {
      replace(results, h("p", { className: "empty" }, `Nothing matches “${search}”.`));
      return;
    }
    replace(
      results,
      h(
        "ol",
        { className: "search-results", "aria-label": `Results for ${search}` },
        found.map((result) => {
          const document = result.document;
          if (!document) return null;
          const href = `/documents/${document.id}`;
          return h(
            "li",
            { className: "search-result", "data-document-id": document.id },
            thumbnail(document),
            h(
              "div",
              { className: "search-result-body" },
              h("a", { className: "result-title", href }, document.title || document.originalFileName),
              h("small", {}, [formatDuration(document.duration), formatDate(document.createTime)].filter(Boolean).join(" · ")),
              result.snippets.length
                ? h("ul", { className: "snippets" }, result.snippets.map((snippet) => snippetItem(href, snippet)))
                : null,
            ),
          );
        }),
      ),
    );
  }

  function snippetItem(href: string, snippet: SearchSnippet): HTMLElement {
    const text = highlighted(snippet);
    if (!snippet.startOffset) return h("li", { className: "snippet" }, text);
    const at = seconds(snippet.startOffset);
    return h(
      "li",
      { className: "snippet" },
      h("a", { href: `${href}?t=${Math.floor(at)}`, className: "snippet-link" }, h("span", { className: "snippet-time" }, `[${clock(at)}]`), " ", text),
    );
  }

  function renderSearchPager(nextPageToken: string): void {
    const previous = h("button", { type: "button", className: "secondary", disabled: pageTokens.length === 1 }, "Previous");
    const next = h("button", { type: "button", className: "secondary", disabled: !nextPageToken }, "Next");
    previous.addEventListener("click", () => {
      pageTokens.pop();
      void loadPage();
    });
    next.addEventListener("click", () => {
      pageTokens.push(nextPageToken);
      void loadPage();
    });
    replace(pager, previous, h("span", {}, `Page ${pageTokens.length}, best matches first`), next);
  }

  function renderDocuments(documents: Document[], total: number): void {
    if (documents.length === 0) {
      const filtered = search || status || folderId;
      replace(
        results,
        h("p", { className: "empty" }, filtered ? "No document matches." : "No documents yet: upload a recording above."),
      );
      return;
    }
    replace(
      results,
      h(
        "table",
        { className: "documents" },
        h("caption", { className: "visually-hidden" }, `Documents (${total})`),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, h("span", { className: "visually-hidden" }, "Preview")),
            ["Title", "Status", "Length", "Language", "Created"].map((t) => h("th", { scope: "col" }, t)),
          ),
        ),
        h("tbody", {}, documents.map(documentRow)),
      ),
    );
  }

  function documentRow(document: Document): HTMLElement {
    const working =
      document.status === DocumentStatus.PROCESSING || document.status === DocumentStatus.UPLOADING;
    return h(
      "tr",
      { "data-document-id": document.id },
      h("td", { className: "thumb-cell" }, thumbnail(document)),
      h(
        "td",
        { "data-label": "Title" },
        h("a", { href: `/documents/${document.id}` }, document.title || document.originalFileName),
        h("small", { className: "file-name" }, document.originalFileName),
      ),
      h(
        "td",
        { "data-label": "Status" },
        h("span", { className: statusClass(document.status) }, STATUS_LABELS[document.status]),
        working ? h("small", {}, ` ${STAGE_LABELS[document.stage]} · ${document.progress} %`) : null,
      ),
      h("td", { "data-label": "Length" }, formatDuration(document.duration)),
      h("td", { "data-label": "Language" }, (document.language || document.detectedLanguage).toUpperCase()),
      h("td", { "data-label": "Created" }, formatDate(document.createTime)),
    );
  }

  function renderPager(nextPageToken: string, total: number): void {
    const pageNumber = pageTokens.length;
    const previous = h("button", { type: "button", className: "secondary", disabled: pageNumber === 1 }, "Previous");
    const next = h("button", { type: "button", className: "secondary", disabled: !nextPageToken }, "Next");
    previous.addEventListener("click", () => {
      pageTokens.pop();
      void loadPage();
    });
    next.addEventListener("click", () => {
      pageTokens.push(nextPageToken);
      void loadPage();
    });
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    replace(
      pager,
      previous,
      h("span", {}, `Page ${pageNumber} of ${pages} · ${total} document${total === 1 ? "" : "s"}`),
      next,
    );
  }

  outlet.append(
    h(
      "div",
      { className: "library" },
      sidebar,
      h("div", { className: "library-main" }, heading, alert.element, upload.element, filters, results, pager),
    ),
  );
  void loadFolders();
  void loadPage();

  return () => {
    disposed = true;
    window.clearTimeout(timer);
    // The upload panel stays alive: its uploads continue while another page shows.
    upload.target = { folderId: () => folderId, onUploaded: () => undefined };
  };
};

/** The snippet's text with its highlights (code point ranges) in <mark>. */
function highlighted(snippet: SearchSnippet): (string | HTMLElement)[] {
  const characters = Array.from(snippet.text);
  const ranges = [...snippet.highlights].sort((a, b) => a.start - b.start);
  const parts: (string | HTMLElement)[] = [];
  let at = 0;
  for (const { start, end } of ranges) {
    if (start < at || end <= start) continue;
    parts.push(characters.slice(at, start).join(""), h("mark", {}, characters.slice(start, end).join("")));
    at = end;
  }
  parts.push(characters.slice(at).join(""));
  return parts.filter((part) => part !== "");
}
