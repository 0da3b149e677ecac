// Find in the transcript: every match highlighted, the current one brighter, Enter / Shift+Enter
// (or the buttons) to step through them. Highlights use the CSS Custom Highlight API, which
// marks text ranges across word spans without touching the DOM the player and editor use.

import { h } from "../dom";

export interface FindBar {
  element: HTMLElement;
  /** Searches again (the transcript was re-rendered). */
  refresh(): void;
}

interface Match {
  range: Range;
  segment: HTMLElement;
}

const supportsHighlights = typeof CSS !== "undefined" && "highlights" in CSS;

export function createFindBar(container: HTMLElement, reveal: (element: HTMLElement) => void): FindBar {
  const input = h("input", { type: "search", name: "find", placeholder: "Find in transcript", "aria-label": "Find in transcript" });
  const count = h("span", { className: "find-count", "aria-live": "polite" });
  const previous = h("button", { type: "button", className: "secondary", "aria-label": "Previous match" }, "↑");
  const next = h("button", { type: "button", className: "secondary", "aria-label": "Next match" }, "↓");
  let matches: Match[] = [];
  let current = -1;

  function clear(): void {
    if (supportsHighlights) {
      CSS.highlights.delete("find");
      CSS.highlights.delete("find-current");
    }
    for (const element of container.querySelectorAll(".segment.match, .segment.match-current")) {
      element.classList.remove("match", "match-current");
    }
  }

  function search(): void {
    clear();
    matches = [];
    current = -1;
    const query = input.value.trim().toLocaleLowerCase();
    if (!query) {
      count.textContent = "";
      return;
    }
    for (const segment of container.querySelectorAll<HTMLElement>(".segment")) {
      matches.push(...matchesIn(segment, query));
    }
    if (supportsHighlights) CSS.highlights.set("find", new Highlight(...matches.map((m) => m.range)));
    else for (const match of matches) match.segment.classList.add("match");
    if (matches.length === 0) {
      count.textContent = "No match";
      return;
    }
    step(1);
  }

  function step(direction: 1 | -1): void {
    if (matches.length === 0) return;
    current = (current + direction + matches.length) % matches.length;
    const match = matches[current];
    if (!match) return;
    count.textContent = `${current + 1} of ${matches.length}`;
    if (supportsHighlights) CSS.highlights.set("find-current", new Highlight(match.range));
    for (const element of container.querySelectorAll(".segment.match-current")) element.classList.remove("match-current");
    match.segment.classList.add("match-current");
    reveal(match.segment);
  }

  input.addEventListener("input", search);
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    step(event.shiftKey ? -1 : 1);
  });
  previous.addEventListener("click", () => step(-1));
  next.addEventListener("click", () => step(1));

  return {
    element: h("div", { className: "find-bar", role: "search" }, input, count, previous, next),
    refresh: search,
  };
}

/** Ranges of `query` in the segment's text, which may run across several word spans. */
function matchesIn(segment: HTMLElement, query: string): Match[] {
  const nodes: { node: Text; start: number }[] = [];
  let text = "";
  const walker = document.createTreeWalker(segment, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    nodes.push({ node: node as Text, start: text.length });
    text += node.textContent ?? "";
  }
  const lower = text.toLocaleLowerCase();
  const found: Match[] = [];
  for (let at = lower.indexOf(query); at >= 0; at = lower.indexOf(query, at + query.length)) {
    const range = document.createRange();
    const [startNode, startOffset] = locate(nodes, at);
    const [endNode, endOffset] = locate(nodes, at + query.length);
    range.setStart(startNode, startOffset);
    range.setEnd(endNode, endOffset);
    found.push({ range, segment });
  }
  return found;
}

function locate(nodes: { node: Text; start: number }[], offset: number): [Text, number] {
  let chosen = nodes[0];
  for (const entry of nodes) {
    if (entry.start <= offset) chosen = entry;
    else break;
  }
  if (!chosen) throw new Error("segment without text");
  return [chosen.node, Math.min(offset - chosen.start, chosen.node.length)];
}
