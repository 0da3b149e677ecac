// Single sign-on (OpenID Connect): the "Sign in with …" button on the sign-in page, and the
// page the provider sends the browser back to. Auth keeps the PKCE verifier and the nonce;
// this tab keeps the state it started with, so a callback it did not start (a link someone
// else made, to sign this browser into their account) is refused before auth is asked.
// Finishing signs in exactly as Login does: the refresh token arrives as the HttpOnly cookie.

import { alertBox, h, type AlertBox } from "../dom";
import { showError } from "../errors";
import type { GetSignInOptionsResponse } from "../gen/speechflow/auth/v1/auth_pb";
import { auth, session } from "../rpc";
import type { View } from "../router";

export const CALLBACK_PATH = "/oidc/callback";
const PENDING_KEY = "speechflow.oidc.pending";

interface Pending {
  state: string;
  next: string | null;
}

let options: Promise<GetSignInOptionsResponse> | null = null;

/** How people sign in here, asked once per page load (again after a failure). */
function signInOptions(): Promise<GetSignInOptionsResponse> {
  options ??= auth.getSignInOptions({}).catch((error: unknown) => {
    options = null;
    throw error;
  });
  return options;
}

function redirectUri(): string {
  return `${location.origin}${CALLBACK_PATH}`;
}

function signInButton(displayName: string, next: string | null, alert: AlertBox): HTMLElement {
  const button = h("button", { type: "button", className: "oidc-sign-in" }, `Sign in with ${displayName}`);
  button.style.width = "100%";
  button.addEventListener("click", () => {
    alert.clear();
    button.disabled = true;
    auth
      .startOidcSignIn({ redirectUri: redirectUri() })
      .then((reply) => {
        const pending: Pending = { state: reply.state, next };
        sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
        location.assign(reply.authorizationUrl);
      })
      .catch((error: unknown) => {
        showError(alert, error);
        button.disabled = false;
      });
  });
  return button;
}

/**
 * Puts the provider's button at the top of the sign-in (or sign-up) form when auth offers
 * one, and hides the password part when password sign-in is turned off.
 */
export function offerSingleSignOn(passwordPart: HTMLElement, alert: AlertBox, next: string | null): void {
  signInOptions()
    .then((offered) => {
      if (offered.oidcEnabled) {
        const choices = [signInButton(offered.oidcDisplayName, next, alert)];
        if (offered.passwordEnabled) choices.push(h("p", { className: "hint" }, "or with your email and password:"));
        passwordPart.before(...choices);
      }
      if (!offered.passwordEnabled) {
        passwordPart.hidden = true;
        if (!offered.oidcEnabled) alert.show("No way to sign in is set up on this server.");
      }
    })
    .catch(() => {
      // Unreachable server: the password form stays, and says so when used.
    });
}

function takePending(): Pending | null {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  try {
    return raw ? (JSON.parse(raw) as Pending) : null;
  } catch {
    return null;
  }
}

export const oidcCallbackView: View = (outlet, _params, query) => {
  const alert = alertBox();
  outlet.append(
    h(
      "div",
      { className: "auth-page" },
      h(
        "div",
        { className: "card auth-form" },
        h("h1", {}, "Signing you in…"),
        alert.element,
        h("p", {}, h("a", { href: "/login" }, "Back to sign-in")),
      ),
    ),
  );
  const pending = takePending();
  const state = query.get("state") ?? "";
  const refused = query.get("error");
  // The code and state leave the address bar (and history); where to go next stays.
  const next = pending?.next;
  history.replaceState(null, "", CALLBACK_PATH + (next ? `?next=${encodeURIComponent(next)}` : ""));
  if (refused) {
    alert.show(`The sign-in was not completed: ${query.get("error_description") || refused}.`);
    return;
  }
  if (!pending || !state || pending.state !== state) {
    alert.show("This sign-in was not started in this browser tab. Please sign in again.");
    return;
  }
  auth
    .finishOidcSignIn({ code: query.get("code") ?? "", state, redirectUri: redirectUri() })
    .then((reply) => session.signIn(reply.user, reply.tokens))
    .catch((error: unknown) => showError(alert, error));
};
