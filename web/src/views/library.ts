// The library: folders on the side, search and status filter, one page of documents at a time.
// Filters live in the URL (?folder=&status=&q=) so reloads and the back button keep them.

import { alertBox, h, labelled, replace } from "../dom";
import { describeError, showError } from "../errors";
import { formatDate, formatDuration, STATUS_LABELS, statusClass, STAGE_LABELS } from "../format";
import {
  DocumentStatus,
  type Document,
  type Folder,
} from "../gen/speechflow/library/v1/library_pb";
import { library } from "../rpc";
import { navigate, type View } from "../router";
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
    placeholder: "Words in title, transcript or summary",
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
      library
        .createFolder({ folder: { name: name.value.trim() } })
        .then(() => loadFolders())
        .catch((error: unknown) => showError(alert, error));
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
        .then(() => loadFolders())
        .catch((error: unknown) => showError(alert, error));
    });
    remove.addEventListener("click", () => {
      if (!confirm(`Delete the folder “${folder.name}”? Its documents stay in the library.`)) return;
      library
        .deleteFolder({ folderId: folder.id })
        .then(() => navigate(folderHref("")))
        .catch((error: unknown) => showError(alert, error));
    });
    return h("div", { className: "folder-actions" }, rename, remove);
  }

  async function loadPage(): Promise<void> {
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
          h("tr", {}, ["Title", "Status", "Length", "Language", "Created"].map((t) => h("th", { scope: "col" }, t))),
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
