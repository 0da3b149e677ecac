// How statuses, stages, sizes and dates read on screen.

import { timestampDate, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import {
  DocumentStatus,
  JobStatus,
  Stage,
  SummaryLength,
} from "./gen/speechflow/library/v1/library_pb";

export const STATUS_LABELS: Record<DocumentStatus, string> = {
  [DocumentStatus.UNSPECIFIED]: "Unknown",
  [DocumentStatus.UPLOADING]: "Uploading",
  [DocumentStatus.PROCESSING]: "Processing",
  [DocumentStatus.COMPLETED]: "Ready",
  [DocumentStatus.FAILED]: "Failed",
};

export const JOB_STATUS_LABELS: Record<JobStatus, string> = {
  [JobStatus.UNSPECIFIED]: "Unknown",
  [JobStatus.RUNNING]: "Running",
  [JobStatus.SUCCEEDED]: "Succeeded",
  [JobStatus.FAILED]: "Failed",
};

export const STAGE_LABELS: Record<Stage, string> = {
  [Stage.UNSPECIFIED]: "Waiting",
  [Stage.UPLOAD]: "Upload",
  [Stage.TRANSCRIPTION]: "Transcription",
  [Stage.SUMMARIZATION]: "Summary",
  [Stage.RENDERING]: "PDF report",
  [Stage.NOTIFICATION]: "Email",
};

// What the document page says while a stage runs.
const STAGE_ACTIVITY: Record<Stage, string> = {
  [Stage.UNSPECIFIED]: "Queued",
  [Stage.UPLOAD]: "Receiving the recording",
  [Stage.TRANSCRIPTION]: "Transcribing",
  [Stage.SUMMARIZATION]: "Summarizing",
  [Stage.RENDERING]: "Rendering the PDF report",
  [Stage.NOTIFICATION]: "Sending the email",
};

export const LANGUAGE_CHOICES: [string, string][] = [
  ["", "Detect from the recording"],
  ["en", "English"],
  ["fr", "French"],
];

export const LENGTH_CHOICES: [SummaryLength, string][] = [
  [SummaryLength.MEDIUM, "Medium summary"],
  [SummaryLength.SHORT, "Short summary"],
  [SummaryLength.LONG, "Long summary"],
];

export function stageText(status: DocumentStatus, stage: Stage, message: string): string {
  if (status === DocumentStatus.COMPLETED) return "Done";
  if (status === DocumentStatus.FAILED) return message ? `Failed: ${message}` : "Failed";
  const activity = STAGE_ACTIVITY[stage] ?? "Working";
  return message ? `${activity} — ${message}` : `${activity}…`;
}

export function statusClass(status: DocumentStatus): string {
  return `badge badge-${(DocumentStatus[status] ?? "unspecified").toLowerCase()}`;
}

export function formatBytes(bytes: number | bigint): string {
  let value = Number(bytes);
  const units = ["B", "KB", "MB", "GB"];
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 || value >= 10 ? 0 : 1)} ${units[unit]}`;
}

export function formatDate(timestamp: Timestamp | undefined): string {
  if (!timestamp) return "";
  return timestampDate(timestamp).toLocaleString(undefined, {
    dateStyle: "medium",
    timeStyle: "short",
  });
}

export function formatDuration(duration: Duration | undefined): string {
  if (!duration) return "";
  const total = Math.round(Number(duration.seconds));
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return `${minutes}:${seconds}`;
}
