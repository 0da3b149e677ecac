// Admin: queue backlog per stage, processing jobs with status and stage filters, and a
// retry for failed ones.

import { alertBox, h, labelled, replace } from "../dom";
import { describeError, showError } from "../errors";
import { formatDate, JOB_STATUS_LABELS, STAGE_LABELS } from "../format";
import { JobStatus, Stage, type Job, type StageQueue } from "../gen/speechflow/library/v1/library_pb";
import { jobs } from "../rpc";
import type { View } from "../router";
import { toast } from "../toast";

const PAGE_SIZE = 20;

function enumOptions<T extends number>(labels: Record<T, string>, anyLabel: string): HTMLOptionElement[] {
  return Object.entries(labels).map(([value, label]) =>
    h("option", { value }, value === "0" ? anyLabel : (label as string)),
  );
}

export const jobsView: View = (outlet) => {
  const pageTokens: string[] = [""];
  let disposed = false;
  const alert = alertBox();
  const statusSelect = h("select", { name: "job-status" }, enumOptions(JOB_STATUS_LABELS, "Any status"));
  const stageSelect = h("select", { name: "job-stage" }, enumOptions(STAGE_LABELS, "Any stage"));
  const results = h("div", { className: "results", "aria-live": "polite" });
  const queues = h("div", { className: "queues" });
  const pager = h("div", { className: "pager" });
  const filters = h(
    "form",
    { className: "filters" },
    labelled("Status", statusSelect),
    labelled("Stage", stageSelect),
    h("button", { type: "submit" }, "Filter"),
  );
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    pageTokens.splice(1);
    void load();
  });
  for (const select of [statusSelect, stageSelect]) {
    select.addEventListener("change", () => {
      pageTokens.splice(1);
      void load();
    });
  }

  async function load(): Promise<void> {
    try {
      const page = await jobs.listJobs({
        pageSize: PAGE_SIZE,
        pageToken: pageTokens[pageTokens.length - 1] ?? "",
        status: Number(statusSelect.value) as JobStatus,
        stage: Number(stageSelect.value) as Stage,
      });
      if (disposed) return;
      alert.clear();
      renderJobs(page.jobs);
      renderPager(page.nextPageToken);
      renderQueues((await jobs.getQueueStats({})).stages);
    } catch (error) {
      if (!disposed) showError(alert, error);
    }
  }

  function renderJobs(list: Job[]): void {
    if (list.length === 0) {
      replace(results, h("p", { className: "empty" }, "No jobs match."));
      return;
    }
    replace(
      results,
      h(
        "table",
        { className: "jobs" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Document", "Owner", "Status", "Stage", "Attempts", "Updated", "Runs"].map((t) => h("th", { scope: "col" }, t)),
            h("th", { scope: "col" }, h("span", { className: "visually-hidden" }, "Actions")),
          ),
        ),
        h("tbody", {}, list.map(jobRow)),
      ),
    );
  }

  function renderQueues(stages: StageQueue[]): void {
    const columns = ["Stage", "Waiting", "In progress", "Redelivered", "Failed jobs", "Chunks waiting"];
    replace(
      queues,
      h(
        "table",
        { className: "jobs queue-stats" },
        h("caption", {}, "Queues"),
        h("thead", {}, h("tr", {}, columns.map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          stages.map((q) =>
            h(
              "tr",
              { "data-stage": Stage[q.stage] },
              h("td", { "data-label": "Stage" }, STAGE_LABELS[q.stage]),
              h("td", { "data-label": "Waiting" }, String(q.pending)),
              h("td", { "data-label": "In progress" }, String(q.inProgress)),
              h("td", { "data-label": "Redelivered" }, String(q.redelivered)),
              h("td", { "data-label": "Failed jobs" }, String(q.failedJobs)),
              // A long recording's chunks (fan-out) waiting for a transcriber replica.
              h("td", { "data-label": "Chunks waiting" }, String(q.pendingChunks)),
            ),
          ),
        ),
      ),
    );
  }

  function jobRow(job: Job): HTMLElement {
    const retry =
      job.status === JobStatus.FAILED
        ? h("button", { type: "button", className: "secondary", onclick: () => void retryJob(job) }, "Retry")
        : null;
    const runs = job.runs.map((run) =>
      h(
        "li",
        {},
        `${STAGE_LABELS[run.stage]} #${run.attempt}: ${formatDate(run.startTime)}`,
        run.errorMessage ? ` — ${run.errorMessage}` : "",
      ),
    );
    // The library fills these for administrators, who cannot read other people's documents.
    const title = job.documentTitle;
    const owner = job.ownerEmail;
    return h(
      "tr",
      { "data-job-id": job.id },
      h(
        "td",
        { "data-label": "Document" },
        h("a", { href: `/documents/${job.documentId}` }, title || "Untitled document"),
        h("small", { className: "job-id" }, job.documentId),
      ),
      h("td", { "data-label": "Owner", className: "owner" }, owner || h("small", {}, job.ownerId)),
      h(
        "td",
        { "data-label": "Status" },
        h("span", { className: `badge badge-job-${JobStatus[job.status].toLowerCase()}` }, JOB_STATUS_LABELS[job.status]),
        job.errorMessage ? h("small", { className: "job-error" }, job.errorMessage) : null,
      ),
      h("td", { "data-label": "Stage" }, STAGE_LABELS[job.stage]),
      h("td", { "data-label": "Attempts" }, job.attempts),
      h("td", { "data-label": "Updated" }, formatDate(job.updateTime)),
      h("td", { "data-label": "Runs", className: "runs" }, runs.length ? h("details", {}, h("summary", {}, `${runs.length} run${runs.length === 1 ? "" : "s"}`), h("ul", {}, runs)) : null),
      h("td", {}, retry),
    );
  }

  async function retryJob(job: Job): Promise<void> {
    try {
      await jobs.retryJob({ jobId: job.id });
      toast("The job runs again.");
      await load();
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  function renderPager(nextPageToken: string): void {
    const previous = h("button", { type: "button", className: "secondary", disabled: pageTokens.length === 1 }, "Previous");
    const next = h("button", { type: "button", className: "secondary", disabled: !nextPageToken }, "Next");
    previous.addEventListener("click", () => {
      pageTokens.pop();
      void load();
    });
    next.addEventListener("click", () => {
      pageTokens.push(nextPageToken);
      void load();
    });
    replace(pager, previous, h("span", {}, `Page ${pageTokens.length}`), next);
  }

  outlet.append(h("section", { className: "jobs-page" }, h("h1", {}, "Processing jobs"), alert.element, queues, filters, results, pager));
  void load();
  return () => {
    disposed = true;
  };
};
