// Typed clients for every service, all speaking gRPC-Web to Envoy on this page's own origin.

import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AuthService } from "./gen/speechflow/auth/v1/auth_pb";
import { JobsService, LibraryService } from "./gen/speechflow/library/v1/library_pb";
import { NotifierService } from "./gen/speechflow/notifier/v1/notifier_pb";
import { Session } from "./session";

const baseUrl = location.origin;

/**
 * Marks every call as the web app's: auth then keeps the refresh token in an HttpOnly cookie
 * instead of the response body, and accepts that cookie only with the CSRF header, which a
 * form or link on another site cannot send.
 */
const asWebApp: Interceptor = (next) => (request) => {
  request.header.set("x-speechflow-client", "web");
  request.header.set("x-speechflow-csrf", "1");
  return next(request);
};

// Refreshing must not go through the access-token interceptor (it would wait for itself).
const plainAuth = createClient(AuthService, createGrpcWebTransport({ baseUrl, interceptors: [asWebApp] }));

export const session = new Session(async () => {
  // An empty body: the browser sends the refresh cookie, and auth rotates it.
  const { tokens } = await plainAuth.refreshToken({});
  if (!tokens) throw new ConnectError("The server sent no tokens.", Code.Internal);
  return tokens;
});

/**
 * Adds the access token; when a unary call is rejected as UNAUTHENTICATED (token expired or
 * revoked early), refreshes once and repeats the call, so the user never sees it.
 * Streams cannot be replayed, which is why `accessToken()` also refreshes ahead of expiry.
 */
const withAccessToken: Interceptor = (next) => async (request) => {
  const token = await session.accessToken();
  if (token) request.header.set("authorization", `Bearer ${token}`);
  try {
    return await next(request);
  } catch (error) {
    const rejected = ConnectError.from(error).code === Code.Unauthenticated;
    if (!rejected || !token || request.stream) throw error;
    const fresh = await session.refreshNow(token);
    if (!fresh) throw error;
    request.header.set("authorization", `Bearer ${fresh}`);
    return next(request);
  }
};

const transport = createGrpcWebTransport({ baseUrl, interceptors: [asWebApp, withAccessToken] });

export const auth = createClient(AuthService, transport);
export const library = createClient(LibraryService, transport);
export const jobs = createClient(JobsService, transport);
export const notifier = createClient(NotifierService, transport);
