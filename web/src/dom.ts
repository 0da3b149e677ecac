// A tiny element builder: enough structure for a few screens without a UI framework.

type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | number | boolean | EventListener | null | undefined>;

/** Creates an element; `on*` props become listeners, `false`/`null` props are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "value" && "value" in element) {
      (element as HTMLInputElement).value = String(value);
    } else {
      element.setAttribute(name === "className" ? "class" : name, value === true ? "" : String(value));
    }
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

let nextId = 0;

/** A label + control pair with matching ids, so screen readers and clicks work. */
export function labelled(text: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || `field-${++nextId}`;
  control.id = id;
  const hintNode = hint ? h("small", { className: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { className: "field" }, h("label", { for: id }, text), control, hintNode);
}

/** A region that screen readers announce when its text changes; empty = hidden. */
export interface AlertBox {
  element: HTMLElement;
  /** Shows `message`; the gRPC status name (e.g. "NotFound") goes to `data-status` only. */
  show(message: string, status?: string): void;
  clear(): void;
}

export function alertBox(): AlertBox {
  const element = h("p", { className: "alert", role: "alert", hidden: true });
  return {
    element,
    show(message: string, status?: string) {
      replace(element, message);
      element.dataset.status = status ?? "";
      element.hidden = false;
    },
    clear() {
      element.replaceChildren();
      element.hidden = true;
    },
  };
}

/** A labelled progress bar whose value and text can be updated. */
export function progressBar(label: string): {
  element: HTMLElement;
  set(percent: number, text?: string): void;
} {
  const bar = h("div", { className: "progress-fill" });
  const caption = h("span", { className: "progress-text" });
  const track = h(
    "div",
    {
      className: "progress",
      role: "progressbar",
      "aria-label": label,
      "aria-valuemin": 0,
      "aria-valuemax": 100,
      "aria-valuenow": 0,
    },
    bar,
  );
  return {
    element: h("div", { className: "progress-wrap" }, track, caption),
    set(percent: number, text?: string) {
      const clamped = Math.max(0, Math.min(100, Math.round(percent)));
      bar.style.width = `${clamped}%`;
      track.setAttribute("aria-valuenow", String(clamped));
      caption.textContent = text ?? `${clamped} %`;
    },
  };
}
