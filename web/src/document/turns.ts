// A transcript as people read it: consecutive segments of one speaker make a turn, which
// starts with its [mm:ss] and the speaker's name in the speaker's colour. Every segment (and
// every word, when the recognizer's timings still match the text) carries its start time, so
// a click can seek there.

import { clock, seconds } from "../clock";
import { h } from "../dom";
import type { Speaker, Transcript, TranscriptSegment } from "../gen/speechflow/library/v1/library_pb";

// As many colours as styles.css defines (.speaker-0 … .speaker-7); more speakers reuse them.
const SPEAKER_COLOURS = 8;

export interface Turn {
  speakerId: string;
  start: number;
  /** Indexes into Transcript.segments. */
  segments: number[];
}

export function groupTurns(transcript: Transcript): Turn[] {
  const turns: Turn[] = [];
  transcript.segments.forEach((segment, index) => {
    const last = turns[turns.length - 1];
    if (last && last.speakerId === segment.speakerId) {
      last.segments.push(index);
    } else {
      turns.push({ speakerId: segment.speakerId, start: seconds(segment.startOffset), segments: [index] });
    }
  });
  return turns;
}

export function speakerClass(transcript: Transcript, speakerId: string): string {
  const position = transcript.speakers.findIndex((speaker) => speaker.id === speakerId);
  return `speaker-${(position < 0 ? transcript.speakers.length : position) % SPEAKER_COLOURS}`;
}

export function speakerName(speakers: Speaker[], speakerId: string): string {
  const speaker = speakers.find((candidate) => candidate.id === speakerId);
  if (speaker?.displayName) return speaker.displayName;
  return speakerId ? `Speaker ${speakerId.replace(/^S/, "")}` : "Speaker";
}

const normalize = (text: string) => text.replace(/\s+/g, " ").trim();

/** The segment's text, as one span per timed word when the words still spell the text. */
export function segmentElement(segment: TranscriptSegment, index: number): HTMLElement {
  const element = h("span", {
    className: "segment",
    "data-index": index,
    "data-start": seconds(segment.startOffset).toFixed(3),
  });
  const words = segment.words.map((word) => word.text.trim()).filter(Boolean);
  // An edited segment keeps its old words until the server re-times it: show the text then.
  if (words.length > 0 && normalize(words.join(" ")) === normalize(segment.text)) {
    segment.words.forEach((word) => {
      const text = word.text.trim();
      if (!text) return;
      element.append(h("span", { className: "word", "data-start": seconds(word.startOffset).toFixed(3) }, text), " ");
    });
  } else {
    element.append(normalize(segment.text), " ");
  }
  return element;
}

/** A turn; without `edit` it is read-only (a shared page). */
export function turnElement(transcript: Transcript, turn: Turn, edit?: (turn: Turn) => void): HTMLElement {
  const name = speakerName(transcript.speakers, turn.speakerId);
  const time = clock(turn.start);
  return h(
    "article",
    {
      className: `turn ${speakerClass(transcript, turn.speakerId)}`,
      "data-start": turn.start.toFixed(3),
      "data-speaker-id": turn.speakerId,
    },
    h(
      "header",
      { className: "turn-header" },
      h("button", { type: "button", className: "turn-time", "data-start": turn.start.toFixed(3), "aria-label": `Play from ${time}` }, `[${time}]`),
      h("span", { className: "turn-speaker" }, name),
      edit
        ? h("button", { type: "button", className: "link-button turn-edit", onclick: () => edit(turn), "aria-label": `Edit the turn at ${time}` }, "Edit")
        : null,
    ),
    h("p", { className: "turn-text" }, turn.segments.map((index) => {
      const segment = transcript.segments[index];
      return segment ? segmentElement(segment, index) : null;
    })),
  );
}
