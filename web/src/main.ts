import "./styles.css";
import { h, replace } from "./dom";
import { Role } from "./gen/speechflow/auth/v1/auth_pb";
import { auth, session } from "./rpc";
import { navigate, router } from "./router";
import { accountView } from "./views/account";
import { loginView, registerView } from "./views/auth";
import { documentView } from "./views/document";
import { jobsView } from "./views/jobs";
import { libraryView } from "./views/library";
import { CALLBACK_PATH, oidcCallbackView } from "./views/oidc";
import { sharedView } from "./views/shared";
import { templatesView } from "./views/templates";
import { cancelUploads } from "./views/upload";

const PUBLIC_PATHS = new Set(["/login", "/register", CALLBACK_PATH]);
const SHARED_PREFIX = "/s/";

const header = h("header", { className: "topbar" });
const main = h("main", { id: "main", tabindex: "-1" });
document.getElementById("app")?.append(header, main);

function isAdmin(): boolean {
  return session.user?.role === Role.ADMIN;
}

function renderHeader(): void {
  const brand = h("a", { className: "brand", href: "/" }, "SpeechFlow");
  if (!session.signedIn) {
    replace(header, brand);
    return;
  }
  const user = session.user;
  replace(
    header,
    brand,
    h(
      "nav",
      { "aria-label": "Main" },
      h("a", { href: "/" }, "Library"),
      h("a", { href: "/templates" }, "Templates"),
      isAdmin() ? h("a", { href: "/admin/jobs" }, "Jobs") : null,
    ),
    h(
      "div",
      { className: "account" },
      h("a", { className: "who", href: "/account", title: user ? `${user.email}: your account` : "Your account" }, user?.name || user?.email || "Account"),
      h("button", { type: "button", className: "secondary", onclick: () => void logout() }, "Log out"),
    ),
  );
}

async function logout(): Promise<void> {
  // The browser sends the refresh cookie, auth revokes it and clears it. Signing out locally
  // must work even when the server cannot be reached.
  await auth.logout({}).catch(() => undefined);
  session.signOut();
}

function guard(path: string): string | null {
  // A share link's page opens for anyone, signed in or not.
  if (path.startsWith(SHARED_PREFIX)) return null;
  if (!session.signedIn && !PUBLIC_PATHS.has(path)) {
    const next = path === "/" ? "" : `?next=${encodeURIComponent(path + location.search)}`;
    return `/login${next}`;
  }
  if (session.signedIn && PUBLIC_PATHS.has(path)) return "/";
  if (path.startsWith("/admin/") && !isAdmin()) return "/";
  return null;
}

async function loadUser(): Promise<void> {
  await session.resume();
  if (!session.signedIn) return;
  try {
    session.user = (await auth.getMe({})).user ?? null;
  } catch {
    // Unreachable server: keep the tokens; a refused token has already signed us out.
  }
}

router
  .add("/login", loginView)
  .add("/register", registerView)
  .add(CALLBACK_PATH, oidcCallbackView)
  .add("/", libraryView)
  .add("/documents/:documentId", documentView)
  .add(`${SHARED_PREFIX}:token`, sharedView)
  .add("/account", accountView)
  .add("/templates", templatesView)
  .add("/admin/jobs", jobsView);

// Set once the session has resumed (below), so the first sign-in change is a real one.
let wasSignedIn = false;
session.onChange(() => {
  renderHeader();
  if (session.signedIn === wasSignedIn) return;
  wasSignedIn = session.signedIn;
  if (session.signedIn) {
    const next = new URLSearchParams(location.search).get("next");
    // Only same-site paths, never a full URL someone put in a link.
    navigate(next?.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
  } else {
    cancelUploads();
    navigate("/login", { replace: true });
  }
});

void loadUser().then(() => {
  wasSignedIn = session.signedIn;
  renderHeader();
  router.start(main, guard);
});
