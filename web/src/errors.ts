// People read the server's own message (it says what to fix: "Email or password is
// incorrect.", "The file is larger than 500 MB."); the status code only picks a fallback when
// the server said nothing useful, e.g. the network is down.

import { Code, ConnectError } from "@connectrpc/connect";

const FALLBACKS: Partial<Record<Code, string>> = {
  [Code.Unavailable]: "The server cannot be reached. Check your connection and try again.",
  [Code.DeadlineExceeded]: "The server took too long to answer. Try again.",
  [Code.Unauthenticated]: "Your session has ended. Please sign in again.",
  [Code.PermissionDenied]: "You are not allowed to do this.",
  [Code.NotFound]: "It does not exist (any more).",
  [Code.ResourceExhausted]: "Too much at once: the file or request is too large.",
  [Code.Internal]: "The server hit an unexpected error.",
  [Code.Unknown]: "Something went wrong.",
};

export function describeError(error: unknown): string {
  const connectError = ConnectError.from(error);
  if (connectError.code === Code.Canceled) return "Cancelled.";
  const serverMessage = connectError.rawMessage.trim();
  // Fetch failures surface as "Failed to fetch"/"NetworkError…" with code Unknown/Unavailable.
  const isNetwork = /failed to fetch|networkerror|load failed/i.test(serverMessage);
  if (serverMessage && !isNetwork) return serverMessage;
  return FALLBACKS[isNetwork ? Code.Unavailable : connectError.code] ?? "Something went wrong.";
}

/** The gRPC status name, shown next to the message for people who report problems. */
export function statusName(error: unknown): string {
  return Code[ConnectError.from(error).code] ?? "Unknown";
}

/** Shows a failed call in an alert box: the message, then the status code name. */
export function showError(box: { show(message: string, status?: string): void }, error: unknown) {
  box.show(describeError(error), statusName(error));
}
