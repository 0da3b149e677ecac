// The transcript card: speakers (rename, accept a suggested name), find, the turns with
// follow-along while the recording plays, and inline editing of a turn's segments. Every
// save is UpdateTranscript on the revision shown; ABORTED means someone else saved first,
// and the page then shows their revision instead of overwriting it.

import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { clock, seconds } from "../clock";
import { h, replace } from "../dom";
import { describeError, errorCode } from "../errors";
import type { Speaker, Transcript, TranscriptSegmentEditSchema } from "../gen/speechflow/library/v1/library_pb";
import { library } from "../rpc";
import { toast } from "../toast";
import { createFindBar } from "./find";
import type { Player } from "./player";
import { groupTurns, speakerClass, speakerName, turnElement, type Turn } from "./turns";

// After the user scrolls the transcript themselves, follow-along waits this long before it
// moves the view again: reading ahead must not be yanked back to the playing turn.
const USER_SCROLL_QUIET_MS = 5000;
const NEW_SPEAKER = "__new__";

export interface TranscriptPanel {
  element: HTMLElement;
  load(): Promise<void>;
  /** Highlights the turn at `time` and scrolls it into view (a link with ?t=, a topic). */
  reveal(time: number): void;
  /** Stops listening to the window (the page is left). */
  dispose(): void;
}

type EditInit = MessageInitShape<typeof TranscriptSegmentEditSchema>;

export function createTranscriptPanel(documentId: string, player: Player, onSaved: () => void): TranscriptPanel {
  let transcript: Transcript | null = null;
  let starts: number[] = [];
  let playing: { turn: HTMLElement | null; segment: HTMLElement | null } = { turn: null, segment: null };
  let userScrolledAt = 0;
  let editing = false;

  const revision = h("small", { className: "revision" });
  const speakers = h("ul", { className: "speakers", "aria-label": "Speakers" });
  const turns = h("div", { className: "turns", tabindex: "0", "aria-label": "Transcript text" });
  const find = createFindBar(turns, (element) => scrollToward(element, true));
  const body = h("div", { className: "transcript-body" }, h("p", { className: "empty" }, "Loading the transcript…"));
  const element = h(
    "section",
    { className: "card transcript-card", "aria-labelledby": "transcript-heading" },
    h("header", { className: "card-header" }, h("h2", { id: "transcript-heading" }, "Transcript"), revision),
    body,
  );

  // Only people scroll with a wheel, a finger or keys; follow-along's own scrolling fires none
  // of these. The window counts too: on a phone the page itself scrolls the transcript.
  const userScrolled = () => {
    userScrolledAt = Date.now();
  };
  for (const event of ["wheel", "touchmove"]) window.addEventListener(event, userScrolled, { passive: true });
  turns.addEventListener("keydown", userScrolled);
  turns.addEventListener("click", (event) => {
    const target = event.target as HTMLElement;
    if (target.closest("textarea, select, input, .turn-edit, .turn-editor")) return;
    // Selecting text to copy it is not a click to seek.
    if (!window.getSelection()?.isCollapsed) return;
    const timed = target.closest<HTMLElement>(".word, .turn-time, .segment, .turn");
    const start = timed?.dataset.start;
    if (start === undefined) return;
    player.seek(Number(start), true);
  });
  player.onTime(follow);

  async function load(): Promise<void> {
    try {
      const reply = await library.getTranscript({ documentId });
      if (reply.transcript) show(reply.transcript);
    } catch (error) {
      replace(body, h("p", { className: "empty" }, describeError(error)));
    }
  }

  function show(next: Transcript): void {
    transcript = next;
    editing = false;
    starts = next.segments.map((segment) => seconds(segment.startOffset));
    revision.textContent = next.revision > 1 ? `Edited · revision ${next.revision}` : "";
    renderSpeakers(next);
    if (next.segments.length === 0) {
      replace(body, h("p", { className: "empty" }, "Nothing was said in this recording."));
      return;
    }
    replace(turns, groupTurns(next).map((turn) => turnElement(next, turn, startEditing)));
    replace(body, speakers, find.element, turns);
    find.refresh();
    playing = { turn: null, segment: null };
    follow(player.media.currentTime);
  }

  function renderSpeakers(current: Transcript): void {
    replace(
      speakers,
      current.speakers.map((speaker) => {
        const input = h("input", { name: `speaker-${speaker.id}`, value: speaker.displayName, maxlength: 100, "aria-label": `Name of ${speaker.displayName || speaker.id}` });
        const form = h(
          "form",
          { className: "speaker-form" },
          h("span", { className: `speaker-dot ${speakerClass(current, speaker.id)}`, "aria-hidden": "true" }),
          input,
          h("button", { type: "submit", className: "secondary", "aria-label": `Rename ${speaker.displayName || speaker.id}` }, "Rename"),
        );
        form.addEventListener("submit", (event) => {
          event.preventDefault();
          const name = input.value.trim();
          if (name && name !== speaker.displayName) void renameSpeaker(speaker, name);
        });
        const suggestion =
          speaker.suggestedName && speaker.suggestedName !== speaker.displayName
            ? h(
                "button",
                { type: "button", className: "link-button suggestion", onclick: () => void renameSpeaker(speaker, speaker.suggestedName) },
                `Use “${speaker.suggestedName}”`,
              )
            : null;
        return h("li", { "data-speaker-id": speaker.id }, form, suggestion);
      }),
    );
  }

  async function renameSpeaker(speaker: Speaker, name: string): Promise<void> {
    await save({ speakers: [{ id: speaker.id, displayName: name }] }, `Renamed ${speaker.displayName || speaker.id} to ${name}.`);
  }

  async function save(
    changes: { speakers?: { id: string; displayName: string }[]; segmentEdits?: EditInit[] },
    done: string,
  ): Promise<boolean> {
    if (!transcript) return false;
    try {
      const reply = await library.updateTranscript({ documentId, revision: transcript.revision, ...changes });
      if (reply.transcript) show(reply.transcript);
      toast(`${done} The exports and the PDF are rebuilt from it.`);
      onSaved();
      return true;
    } catch (error) {
      if (errorCode(error) === Code.Aborted) {
        toast("Someone else saved first: their version is shown now. Make your change again.", "error");
        await load();
      } else if (errorCode(error) === Code.Unimplemented) {
        toast("This server cannot save transcript edits yet.", "error");
      } else {
        toast(describeError(error), "error");
      }
      return false;
    }
  }

  function startEditing(turn: Turn): void {
    const current = transcript;
    if (!current || editing) return;
    const article = turns.querySelector<HTMLElement>(`.turn[data-start="${turn.start.toFixed(3)}"][data-speaker-id="${turn.speakerId}"]`);
    const text = article?.querySelector(".turn-text");
    if (!article || !text) return;
    editing = true;
    const rows = turn.segments.map((index) => {
      const segment = current.segments[index];
      const area = h("textarea", { name: `segment-${index}`, rows: 2, "aria-label": `Text said at ${clock(seconds(segment?.startOffset))}` });
      area.value = segment?.text ?? "";
      const who = h(
        "select",
        { name: `segment-${index}-speaker`, "aria-label": `Speaker at ${clock(seconds(segment?.startOffset))}` },
        current.speakers.map((speaker) => h("option", { value: speaker.id }, speakerName(current.speakers, speaker.id))),
        h("option", { value: NEW_SPEAKER }, "New speaker"),
      );
      who.value = segment?.speakerId ?? "";
      return { index, area, who };
    });
    const form = h(
      "form",
      { className: "turn-editor" },
      rows.map(({ area, who }) => h("div", { className: "segment-editor" }, area, who)),
      h(
        "div",
        { className: "button-row" },
        h("button", { type: "submit" }, "Save"),
        h("button", { type: "button", className: "secondary", onclick: () => current && show(current) }, "Cancel"),
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const edits: EditInit[] = [];
      for (const { index, area, who } of rows) {
        const segment = current.segments[index];
        if (!segment) continue;
        const newText = area.value.trim();
        const speakerId = who.value === NEW_SPEAKER ? nextSpeakerId(current) : who.value;
        const edit: EditInit = { index };
        if (newText && newText !== segment.text.trim()) edit.text = newText;
        if (speakerId !== segment.speakerId) edit.speakerId = speakerId;
        if (edit.text !== undefined || edit.speakerId !== undefined) edits.push(edit);
      }
      if (edits.length === 0) {
        show(current);
        return;
      }
      void save({ segmentEdits: edits }, "Saved.");
    });
    text.replaceWith(form);
    rows[0]?.area.focus();
  }

  function follow(time: number): void {
    if (!transcript || starts.length === 0) return;
    const index = lastAtOrBefore(starts, time + 0.05);
    const segment = index < 0 ? null : turns.querySelector<HTMLElement>(`.segment[data-index="${index}"]`);
    const turn = segment?.closest<HTMLElement>(".turn") ?? null;
    if (segment === playing.segment) return;
    playing.segment?.classList.remove("current");
    playing.turn?.classList.remove("playing");
    playing.turn?.removeAttribute("aria-current");
    segment?.classList.add("current");
    turn?.classList.add("playing");
    turn?.setAttribute("aria-current", "time");
    playing = { turn, segment };
    if (turn && !editing) scrollToward(turn, false);
  }

  /**
   * Brings `target` into view a third of the way down: inside the turns box when it scrolls
   * (desktop), else in the window below the sticky player (phone). `force` ignores the user's
   * own recent scrolling (find, a link to a moment).
   */
  function scrollToward(target: HTMLElement, force: boolean): void {
    if (!force && Date.now() - userScrolledAt < USER_SCROLL_QUIET_MS) return;
    const rect = target.getBoundingClientRect();
    if (turns.scrollHeight > turns.clientHeight + 1) {
      const box = turns.getBoundingClientRect();
      if (rect.top >= box.top && rect.bottom <= box.bottom) return;
      turns.scrollTo({ top: turns.scrollTop + rect.top - box.top - box.height / 3, behavior: "smooth" });
      return;
    }
    const covered = player.element.getBoundingClientRect().bottom;
    if (rect.top >= covered && rect.bottom <= window.innerHeight) return;
    window.scrollBy({ top: rect.top - covered - (window.innerHeight - covered) / 3, behavior: "smooth" });
  }

  return {
    element,
    load,
    reveal(time: number) {
      userScrolledAt = 0;
      follow(time);
    },
    dispose() {
      for (const event of ["wheel", "touchmove"]) window.removeEventListener(event, userScrolled);
    },
  };
}

function lastAtOrBefore(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if ((sorted[middle] ?? Infinity) <= value) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

function nextSpeakerId(transcript: Transcript): string {
  const numbers = transcript.speakers.map((speaker) => Number(speaker.id.replace(/^S/, ""))).filter(Number.isFinite);
  return `S${Math.max(0, ...numbers) + 1}`;
}

