// People read the server's own message (it says what to fix: "Email or password is
// incorrect.", "The file is larger than 500 MB."). The status code only picks a sentence when
// the server said nothing a person can use (the network is down, a proxy answered); its
// name ("InvalidArgument") is never shown, only kept in `data-status` for bug reports.

import { Code, ConnectError } from "@connectrpc/connect";

const IN_WORDS: Record<Code, string> = {
  [Code.Canceled]: "Cancelled.",
  [Code.Unknown]: "Something went wrong. Try again.",
  [Code.InvalidArgument]: "Something in the request is not right. Check it and try again.",
  [Code.DeadlineExceeded]: "The server took too long to answer. Try again.",
  [Code.NotFound]: "It does not exist (any more).",
  [Code.AlreadyExists]: "It exists already.",
  [Code.PermissionDenied]: "You are not allowed to do this.",
  [Code.ResourceExhausted]: "Too much at once: the file or request is too large, or too many tries. Wait a moment.",
  [Code.FailedPrecondition]: "This cannot be done yet: the document is not ready for it.",
  [Code.Aborted]: "Someone else changed it at the same time. Reload and try again.",
  [Code.OutOfRange]: "That is out of range.",
  [Code.Unimplemented]: "This server does not offer that yet.",
  [Code.Internal]: "The server hit an unexpected error.",
  [Code.Unavailable]: "The server cannot be reached. Check your connection and try again.",
  [Code.DataLoss]: "The stored data is damaged.",
  [Code.Unauthenticated]: "Your session has ended. Please sign in again.",
};

// Messages from the transport or a proxy rather than from SpeechFlow: not for people.
const TECHNICAL = /failed to fetch|networkerror|load failed|upstream|grpc|rpc error|http\/?2|protocol error|missing trailer/i;

export function errorCode(error: unknown): Code {
  return ConnectError.from(error).code;
}

export function describeError(error: unknown): string {
  const connectError = ConnectError.from(error);
  const serverMessage = connectError.rawMessage.trim();
  // Canceled is ours; Unimplemented comes with the framework's "Method not implemented!".
  if (connectError.code === Code.Canceled || connectError.code === Code.Unimplemented) {
    return IN_WORDS[connectError.code];
  }
  if (serverMessage && !TECHNICAL.test(serverMessage)) return serverMessage;
  const network = /failed to fetch|networkerror|load failed/i.test(serverMessage);
  return IN_WORDS[network ? Code.Unavailable : connectError.code] ?? IN_WORDS[Code.Unknown];
}

/** The status name ("NotFound"), for `data-status` attributes only: never shown to people. */
export function statusName(error: unknown): string {
  return Code[ConnectError.from(error).code] ?? "Unknown";
}

/** Shows a failed call in an alert box, in words. */
export function showError(box: { show(message: string, status?: string): void }, error: unknown) {
  box.show(describeError(error), statusName(error));
}
