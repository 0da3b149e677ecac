// Path-based routes (emails link to /documents/<id>); the static server answers every
// unknown path with index.html, and links inside the app navigate without a reload.

export type Params = Record<string, string>;
export type Cleanup = () => void;
export type View = (outlet: HTMLElement, params: Params, query: URLSearchParams) => Cleanup | void;

interface Route {
  pattern: RegExp;
  names: string[];
  view: View;
}

/** Where to send the user instead of `path` (e.g. to sign in), or null to stay. */
export type Guard = (path: string) => string | null;

export class Router {
  private readonly routes: Route[] = [];
  private cleanup: Cleanup | null = null;
  private outlet: HTMLElement | null = null;
  private guard: Guard = () => null;

  start(outlet: HTMLElement, guard: Guard): void {
    this.outlet = outlet;
    this.guard = guard;
    window.addEventListener("popstate", () => this.render());
    document.addEventListener("click", (event) => this.interceptLink(event));
    this.render();
  }

  /** `path` like "/documents/:documentId". */
  add(path: string, view: View): this {
    const names: string[] = [];
    const source = path.replace(/:(\w+)/g, (_, name: string) => {
      names.push(name);
      return "([^/]+)";
    });
    this.routes.push({ pattern: new RegExp(`^${source}/?$`), names, view });
    return this;
  }

  navigate(url: string, options: { replace?: boolean } = {}): void {
    if (options.replace) history.replaceState(null, "", url);
    else history.pushState(null, "", url);
    this.render();
  }

  /** Shows the view of the current URL, after ending the previous view's streams and timers. */
  render(): void {
    const outlet = this.outlet;
    if (!outlet) return;
    const redirect = this.guard(location.pathname);
    if (redirect) history.replaceState(null, "", redirect);
    this.cleanup?.();
    this.cleanup = null;
    outlet.replaceChildren();
    const query = new URLSearchParams(location.search);
    for (const route of this.routes) {
      const match = route.pattern.exec(location.pathname);
      if (!match) continue;
      const params: Params = {};
      route.names.forEach((name, index) => {
        params[name] = decodeURIComponent(match[index + 1] ?? "");
      });
      this.cleanup = route.view(outlet, params, query) ?? null;
      return;
    }
    outlet.textContent = "This page does not exist.";
  }

  private interceptLink(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest("a");
    if (!anchor || anchor.target || anchor.hasAttribute("download")) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
    // In-page anchors (the skip link) keep their default behaviour.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    event.preventDefault();
    this.navigate(url.pathname + url.search);
  }
}

export const router = new Router();

export function navigate(url: string, options: { replace?: boolean } = {}): void {
  router.navigate(url, options);
}
