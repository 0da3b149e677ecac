// The original recording in an <audio> or <video> element. Its src is a presigned link from
// GetDownloadUrl(ORIGINAL); the library answers Range requests with 206, which is what lets
// the browser seek without fetching the whole file. A seek asked for before the metadata has
// loaded waits for it (setting currentTime on an empty element is ignored).

import { h } from "../dom";
import { describeError } from "../errors";
import { FileKind } from "../gen/speechflow/library/v1/library_pb";
import { library } from "../rpc";

export interface Player {
  element: HTMLElement;
  media: HTMLMediaElement;
  /** Jumps to `time` seconds (and plays when `play` is set). */
  seek(time: number, play?: boolean): void;
  /** Called with the current time while playing and after each seek. */
  onTime(listener: (time: number) => void): void;
}

/**
 * `originalUrl` gives the link to play (the owner's GetDownloadUrl by default; a shared page
 * asks with its share token instead).
 */
export function createPlayer(
  documentId: string,
  contentType: string,
  originalUrl: () => Promise<string> = async () =>
    (await library.getDownloadUrl({ documentId, kind: FileKind.ORIGINAL })).url,
): Player {
  const isVideo = contentType.startsWith("video/");
  const media: HTMLMediaElement = isVideo
    ? h("video", { controls: true, preload: "metadata", playsinline: true, className: "media" })
    : h("audio", { controls: true, preload: "metadata", className: "media" });
  media.setAttribute("aria-label", "Recording");
  const status = h("p", { className: "player-status", hidden: true });
  const element = h("div", { className: "player" }, media, status);
  const listeners: ((time: number) => void)[] = [];
  let pending: { time: number; play: boolean } | null = null;

  const emit = () => {
    for (const listener of listeners) listener(media.currentTime);
  };
  media.addEventListener("timeupdate", emit);
  media.addEventListener("seeked", emit);
  media.addEventListener("loadedmetadata", () => {
    if (!pending) return;
    const { time, play } = pending;
    pending = null;
    apply(time, play);
  });
  media.addEventListener("error", () => {
    status.hidden = false;
    status.textContent = "The recording cannot be played in this browser; you can still download it.";
  });

  function apply(time: number, play: boolean): void {
    media.currentTime = time;
    if (play) void media.play().catch(() => undefined);
  }

  originalUrl()
    .then((url) => {
      media.src = url;
    })
    .catch((error: unknown) => {
      status.hidden = false;
      status.textContent = describeError(error);
    });

  return {
    element,
    media,
    seek(time: number, play = false) {
      if (media.readyState >= HTMLMediaElement.HAVE_METADATA) apply(time, play);
      else pending = { time, play };
      // Listeners hear the target at once, so the transcript follows even before the media
      // has loaded (tests and people both see the turn highlighted).
      for (const listener of listeners) listener(time);
    },
    onTime(listener) {
      listeners.push(listener);
    },
  };
}
