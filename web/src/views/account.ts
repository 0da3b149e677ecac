// The signed-in person's account: who they are, a new password (which ends their other
// sign-ins), a copy of all their data, and deleting the account for good.

import { alertBox, h, labelled } from "../dom";
import { saveBlob } from "../document/exports";
import { describeError, showError } from "../errors";
import { formatDate } from "../format";
import { auth, session } from "../rpc";
import type { View } from "../router";
import { toast } from "../toast";
import { apiKeysCard } from "./api_keys";
import { webhooksCard } from "./webhooks";

export const accountView: View = (outlet) => {
  const user = session.user;
  const details = h(
    "section",
    { className: "card", "aria-labelledby": "profile-heading" },
    h("h2", { id: "profile-heading" }, "Profile"),
    h(
      "dl",
      { className: "profile" },
      h("dt", {}, "Name"),
      h("dd", {}, user?.name || "—"),
      h("dt", {}, "Email"),
      h("dd", {}, user?.email ?? ""),
      h("dt", {}, "Member since"),
      h("dd", {}, formatDate(user?.createTime)),
    ),
  );
  outlet.append(
    h("section", { className: "account-page" }, h("h1", {}, "Your account"), details, passwordForm(), apiKeysCard(), webhooksCard(), exportCard(), deleteForm()),
  );
};

function passwordForm(): HTMLElement {
  const alert = alertBox();
  const current = h("input", { name: "current-password", type: "password", autocomplete: "current-password", required: true });
  const next = h("input", { name: "new-password", type: "password", autocomplete: "new-password", required: true, minlength: 8 });
  const again = h("input", { name: "repeat-password", type: "password", autocomplete: "new-password", required: true, minlength: 8 });
  const submit = h("button", { type: "submit" }, "Change password");
  const form = h(
    "form",
    { className: "card account-form", "aria-labelledby": "password-heading" },
    // Not just "Password": the form takes its heading as its name, and a form named
    // "Password" is found (by a screen reader, by get_by_label) as if it were the field.
    h("h2", { id: "password-heading" }, "Change password"),
    alert.element,
    labelled("Current password", current),
    labelled("New password", next, "At least 8 characters. Your other sign-ins end."),
    labelled("New password again", again),
    submit,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    alert.clear();
    if (next.value !== again.value) {
      alert.show("The two new passwords are not the same.");
      again.focus();
      return;
    }
    submit.disabled = true;
    auth
      .changePassword({ currentPassword: current.value, newPassword: next.value })
      .then(({ tokens }) => {
        // This tab keeps its sign-in with the tokens the change returned.
        if (tokens) session.signIn(session.user ?? undefined, tokens);
        form.reset();
        toast("Password changed. You were signed out everywhere else.");
      })
      .catch((error: unknown) => showError(alert, error))
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}

function exportCard(): HTMLElement {
  const button = h("button", { type: "button", className: "secondary" }, "Download my data");
  button.addEventListener("click", () => {
    button.disabled = true;
    void (async () => {
      try {
        const parts: Uint8Array[] = [];
        let contentType = "";
        for await (const chunk of auth.exportMyData({})) {
          contentType ||= chunk.contentType;
          parts.push(chunk.data);
        }
        const extension = contentType.includes("zip") ? "zip" : "json";
        saveBlob(parts, contentType, `speechflow-my-data.${extension}`);
        toast("Your data is downloaded.");
      } catch (error) {
        toast(describeError(error), "error");
      } finally {
        button.disabled = false;
      }
    })();
  });
  return h(
    "section",
    { className: "card", "aria-labelledby": "export-heading" },
    h("h2", { id: "export-heading" }, "Your data"),
    h("p", {}, "A copy of your account and everything in your library, as one file."),
    button,
  );
}

function deleteForm(): HTMLElement {
  const alert = alertBox();
  const password = h("input", { name: "delete-password", type: "password", autocomplete: "current-password", required: true });
  const form = h(
    "form",
    { className: "card account-form danger-zone", "aria-labelledby": "delete-heading" },
    h("h2", { id: "delete-heading" }, "Delete account"),
    h("p", {}, "Deletes your account, your recordings, transcripts, summaries and PDFs. This cannot be undone."),
    alert.element,
    labelled("Your password", password, "To be sure it is you."),
    h("button", { type: "submit", className: "danger" }, "Delete my account"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    alert.clear();
    if (!confirm("Delete your account and everything in it for good?")) return;
    auth
      .deleteAccount({ password: password.value })
      .then(() => {
        toast("Your account is deleted.");
        session.signOut();
      })
      .catch((error: unknown) => showError(alert, error));
  });
  return form;
}
