// The signed-in user's access token, kept in this tab's sessionStorage (so a reload needs no
// round trip) and never anywhere else. The refresh token is an HttpOnly cookie that auth sets
// and that no script can read, so an injected script cannot steal a 7-day sign-in: a new tab
// or a reload without a token asks auth for one with that cookie. Refresh tokens rotate on
// every use, so one refresh at a time runs across all tabs (Web Locks where available).

import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Tokens, User } from "./gen/speechflow/auth/v1/auth_pb";

const STORAGE_KEY = "speechflow.session";
// Tabs tell each other about sign-in and sign-out; the message carries no token.
const CHANNEL = "speechflow-session";
// Refresh this long before the access token expires, so no call goes out with a dying token.
const REFRESH_MARGIN_MS = 30_000;

export interface StoredTokens {
  accessToken: string;
  accessExpiresAt: number;
}

/** Asks auth for new tokens with the refresh cookie. */
export type RefreshFn = () => Promise<Tokens>;

function toStored(tokens: Tokens): StoredTokens {
  const expires = tokens.accessTokenExpiresAt as Timestamp | undefined;
  return {
    accessToken: tokens.accessToken,
    accessExpiresAt: expires ? timestampMs(expires) : Date.now() + 60_000,
  };
}

function refusedRefresh(error: unknown): boolean {
  const { code } = ConnectError.from(error);
  return [Code.Unauthenticated, Code.InvalidArgument, Code.NotFound, Code.PermissionDenied].includes(
    code,
  );
}

function load(): StoredTokens | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as StoredTokens) : null;
  } catch {
    return null;
  }
}

export class Session {
  user: User | null = null;
  private tokens: StoredTokens | null = load();
  private refreshing: Promise<string | null> | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly channel = "BroadcastChannel" in window ? new BroadcastChannel(CHANNEL) : null;

  constructor(private readonly refresh: RefreshFn) {
    this.channel?.addEventListener("message", (event: MessageEvent<string>) => {
      if (event.data === "signed-out" && this.tokens) this.signOut({ broadcast: false });
    });
  }

  get signedIn(): boolean {
    return this.tokens !== null;
  }

  /** Called on sign-in/out; the app re-renders. */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  /**
   * At start-up: without an access token in this tab, the refresh cookie (if the browser has
   * one) signs us in. Unreachable server: stay signed out for now, without an error.
   */
  async resume(): Promise<void> {
    if (this.tokens) return;
    try {
      await this.refreshNow(null);
    } catch {
      // Refused (no cookie, expired, revoked) or offline: the sign-in page is shown.
    }
  }

  signIn(user: User | undefined, tokens: Tokens | undefined): void {
    if (!tokens) throw new Error("The server sent no tokens.");
    this.user = user ?? null;
    this.save(toStored(tokens));
    this.notify();
  }

  signOut({ broadcast = true }: { broadcast?: boolean } = {}): void {
    this.user = null;
    this.save(null);
    if (broadcast) this.channel?.postMessage("signed-out");
    this.notify();
  }

  /** A usable access token, refreshed first when it is about to expire; null when signed out. */
  async accessToken(): Promise<string | null> {
    const tokens = this.tokens;
    if (!tokens) return null;
    if (tokens.accessExpiresAt - Date.now() > REFRESH_MARGIN_MS) return tokens.accessToken;
    return this.refreshNow(tokens.accessToken);
  }

  /**
   * Gets a new access token with the refresh cookie. `rejected` is the token that failed or is
   * expiring (null when there is none yet). Returns the new access token, or throws after
   * signing out when the cookie is no longer accepted.
   */
  refreshNow(rejected: string | null): Promise<string | null> {
    this.refreshing ??= this.withLock(async () => {
      const current = this.tokens;
      if (current && current.accessToken !== rejected) return current.accessToken;
      const wasSignedIn = this.tokens !== null;
      try {
        // Silently, also when resuming: the page being opened is where the user wants to be.
        const fresh = toStored(await this.refresh());
        this.save(fresh);
        return fresh.accessToken;
      } catch (error) {
        // A refused refresh ends the sign-in; a network failure only fails this call.
        if (refusedRefresh(error) && wasSignedIn) this.signOut();
        throw error;
      }
    }).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    // Two tabs refreshing with the same cookie at once would look like a replayed token (and
    // end the sign-in). Web Locks exist only in secure contexts (https, localhost).
    if (navigator.locks) return navigator.locks.request("speechflow-token-refresh", work);
    return work();
  }

  private save(tokens: StoredTokens | null): void {
    this.tokens = tokens;
    if (tokens) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
    else sessionStorage.removeItem(STORAGE_KEY);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
