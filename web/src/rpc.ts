// Typed clients for every service, all speaking gRPC-Web to Envoy on this page's own origin.

import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AuthService } from "./gen/speechflow/auth/v1/auth_pb";
import { JobsService, LibraryService } from "./gen/speechflow/library/v1/library_pb";
import { Session } from "./session";

const baseUrl = location.origin;

// Refreshing must not go through the auth interceptor (it would wait for itself).
const plainAuth = createClient(AuthService, createGrpcWebTransport({ baseUrl }));

export const session = new Session(async (refreshToken) => {
  const { tokens } = await plainAuth.refreshToken({ refreshToken });
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

const transport = createGrpcWebTransport({ baseUrl, interceptors: [withAccessToken] });

export const auth = createClient(AuthService, transport);
export const library = createClient(LibraryService, transport);
export const jobs = createClient(JobsService, transport);
