// Tokens of the signed-in user, kept in localStorage so a reload or a second tab stays signed
// in. Refresh tokens rotate on every use (the old one stops working), so one refresh at a time
// runs across all tabs (Web Locks where available) and a tab adopts tokens another tab stored.

import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Tokens, User } from "./gen/speechflow/auth/v1/auth_pb";

const STORAGE_KEY = "speechflow.session";
// Refresh this long before the access token expires, so no call goes out with a dying token.
const REFRESH_MARGIN_MS = 30_000;

export interface StoredTokens {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: number;
}

export type RefreshFn = (refreshToken: string) => Promise<Tokens>;

function toStored(tokens: Tokens): StoredTokens {
  const expires = tokens.accessTokenExpiresAt as Timestamp | undefined;
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
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
    const raw = localStorage.getItem(STORAGE_KEY);
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

  constructor(private readonly refresh: RefreshFn) {
    // Another tab signed in, refreshed or signed out.
    window.addEventListener("storage", (event) => {
      if (event.key !== STORAGE_KEY) return;
      const before = this.tokens;
      this.tokens = load();
      if ((before === null) !== (this.tokens === null)) {
        if (this.tokens === null) this.user = null;
        this.notify();
      }
    });
  }

  get signedIn(): boolean {
    return this.tokens !== null;
  }

  get refreshToken(): string | null {
    return this.tokens?.refreshToken ?? null;
  }

  /** Called on sign-in/out; the app re-renders. */
  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  signIn(user: User | undefined, tokens: Tokens | undefined): void {
    if (!tokens) throw new Error("The server sent no tokens.");
    this.user = user ?? null;
    this.save(toStored(tokens));
    this.notify();
  }

  signOut(): void {
    this.user = null;
    this.save(null);
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
   * Gets new tokens unless someone already replaced `rejected` (the token that failed or is
   * expiring). Returns the new access token, or null after signing out when the refresh token
   * is no longer accepted.
   */
  refreshNow(rejected: string): Promise<string | null> {
    this.refreshing ??= this.withLock(async () => {
      const latest = load() ?? this.tokens;
      if (latest && latest.accessToken !== rejected) {
        this.tokens = latest;
        return latest.accessToken;
      }
      if (!latest) return null;
      try {
        const fresh = toStored(await this.refresh(latest.refreshToken));
        this.save(fresh);
        return fresh.accessToken;
      } catch (error) {
        // A refused refresh token ends the sign-in; a network failure only fails this call.
        if (refusedRefresh(error)) this.signOut();
        throw error;
      }
    }).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    // Web Locks exist only in secure contexts (https, localhost); elsewhere one tab at a time
    // is the best we can do.
    if (navigator.locks) return navigator.locks.request("speechflow-token-refresh", work);
    return work();
  }

  private save(tokens: StoredTokens | null): void {
    this.tokens = tokens;
    if (tokens) localStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
    else localStorage.removeItem(STORAGE_KEY);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
