// Sign-in and registration; on success the session change takes the user to the library.

import { alertBox, h, labelled } from "../dom";
import { showError } from "../errors";
import { auth, session } from "../rpc";
import type { View } from "../router";
import { offerSingleSignOn } from "./oidc";

type Mode = "login" | "register";

function authForm(mode: Mode, outlet: HTMLElement, query: URLSearchParams): void {
  const registering = mode === "register";
  const alert = alertBox();
  const name = h("input", { name: "name", autocomplete: "name", maxlength: 100 });
  const email = h("input", { name: "email", type: "email", autocomplete: "email", required: true });
  const password = h("input", {
    name: "password",
    type: "password",
    required: true,
    minlength: registering ? 8 : null,
    autocomplete: registering ? "new-password" : "current-password",
  });
  const submit = h("button", { type: "submit" }, registering ? "Create account" : "Sign in");
  const next = query.get("next");
  const otherHref = (registering ? "/login" : "/register") + (next ? `?next=${encodeURIComponent(next)}` : "");

  // Hidden when password sign-in is turned off (accounts then come from single sign-on, which
  // goes above it: views/oidc.ts).
  const passwordPart = h(
    "div",
    { className: "password-sign-in" },
    registering ? labelled("Name", name) : null,
    labelled("Email", email),
    labelled("Password", password, registering ? "At least 8 characters." : undefined),
    submit,
    h(
      "p",
      {},
      registering ? "Already have an account? " : "New here? ",
      h("a", { href: otherHref }, registering ? "Sign in" : "Create an account"),
    ),
  );
  const form = h(
    "form",
    { className: "card auth-form", novalidate: false },
    h("h1", {}, registering ? "Create your account" : "Sign in to SpeechFlow"),
    alert.element,
    passwordPart,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    alert.clear();
    submit.disabled = true;
    const request = registering
      ? auth.register({ email: email.value, password: password.value, name: name.value })
      : auth.login({ email: email.value, password: password.value });
    request
      .then((reply) => session.signIn(reply.user, reply.tokens))
      .catch((error: unknown) => {
        showError(alert, error);
        password.focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  outlet.append(h("div", { className: "auth-page" }, form));
  offerSingleSignOn(passwordPart, alert, next);
  (registering ? name : email).focus();
}

export const loginView: View = (outlet, _params, query) => authForm("login", outlet, query);
export const registerView: View = (outlet, _params, query) => authForm("register", outlet, query);
