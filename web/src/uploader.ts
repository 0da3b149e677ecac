// Resumable upload over unary calls (gRPC-Web cannot stream from the browser): StartUpload,
// then UploadChunk per slice of at most max_chunk_bytes, then FinishUpload. A failed chunk is
// retried after asking the server how much it already has (GetUpload), so a flaky link costs
// one chunk, not the whole file.

import { Code, ConnectError } from "@connectrpc/connect";
import type { Document, SummaryLength } from "./gen/speechflow/library/v1/library_pb";
import { library } from "./rpc";

const RETRIES_PER_CHUNK = 4;
const FALLBACK_CHUNK_BYTES = 1024 * 1024;
// Codes worth retrying: the link or the server hiccuped. Anything else is the server's answer.
const TRANSIENT = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.Unknown, Code.Aborted]);

export interface UploadOptions {
  folderId: string;
  language: string;
  summaryLength: SummaryLength;
  /** A summary template's id; "" for the default summary. */
  summaryTemplateId: string;
  onProgress(sentBytes: number, totalBytes: number): void;
  signal: AbortSignal;
}

export async function uploadFile(file: File, options: UploadOptions): Promise<Document> {
  const started = await library.startUpload(
    {
      metadata: {
        fileName: file.name,
        contentType: file.type,
        sizeBytes: BigInt(file.size),
        folderId: options.folderId,
        language: options.language,
        summaryLength: options.summaryLength,
        summaryTemplateId: options.summaryTemplateId,
        // The same file picked twice in one page load still gets two documents.
        requestId: crypto.randomUUID(),
      },
    },
    { signal: options.signal },
  );
  const chunkBytes = started.maxChunkBytes > 0 ? started.maxChunkBytes : FALLBACK_CHUNK_BYTES;
  let offset = 0;
  options.onProgress(0, file.size);
  while (offset < file.size) {
    offset = await sendChunk(file, started.uploadId, offset, chunkBytes, options.signal);
    options.onProgress(offset, file.size);
  }
  const finished = await library.finishUpload(
    { uploadId: started.uploadId },
    { signal: options.signal },
  );
  if (!finished.document) throw new ConnectError("The server created no document.", Code.Internal);
  return finished.document;
}

/** Sends the chunk at `offset`; returns the server's byte count (where the next chunk starts). */
async function sendChunk(
  file: File,
  uploadId: string,
  offset: number,
  chunkBytes: number,
  signal: AbortSignal,
): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      const data = new Uint8Array(await file.slice(offset, offset + chunkBytes).arrayBuffer());
      const reply = await library.uploadChunk(
        { uploadId, offset: BigInt(offset), data },
        { signal },
      );
      return Number(reply.receivedBytes);
    } catch (error) {
      const code = ConnectError.from(error).code;
      if (signal.aborted || !TRANSIENT.has(code) || attempt >= RETRIES_PER_CHUNK) throw error;
      await sleep(500 * 2 ** attempt, signal);
      // Resume from what actually arrived: the lost reply may hide a stored chunk.
      const state = await library.getUpload({ uploadId }, { signal });
      offset = Number(state.receivedBytes);
      if (offset >= file.size) return offset;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new ConnectError("Upload cancelled.", Code.Canceled));
    });
  });
}
