"""Auth service settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from services.kernel.settings import ServiceSettings, env_field


class AuthSettings(ServiceSettings):
    service_name: str = "auth"
    grpc_port: int = env_field(50051, "AUTH_GRPC_PORT")
    # Empty: SQLite file under DATA_DIR.
    database_url: str = env_field("", "AUTH_DATABASE_URL", "DATABASE_URL")
    signing_key_file: Path = env_field(Path(".data/keys/jwt-ed25519.pem"), "AUTH_SIGNING_KEY_FILE")
    bcrypt_cost: int = env_field(10, "AUTH_BCRYPT_COST", ge=4, le=15)
    password_min_length: int = env_field(8, "AUTH_PASSWORD_MIN_LENGTH", ge=6)
    access_token_ttl_seconds: int = env_field(15 * 60, "AUTH_ACCESS_TOKEN_TTL_SECONDS")
    refresh_token_ttl_seconds: int = env_field(7 * 24 * 3600, "AUTH_REFRESH_TOKEN_TTL_SECONDS")
    # Per account: this many failed sign-ins are free, then each further attempt waits
    # AUTH_LOGIN_BACKOFF_BASE_SECONDS, doubling up to AUTH_LOGIN_BACKOFF_MAX_SECONDS; a quiet
    # window of AUTH_LOGIN_FAILURE_WINDOW_SECONDS forgets the failures.
    login_max_failures: int = env_field(5, "AUTH_LOGIN_MAX_FAILURES", ge=1)
    login_failure_window_seconds: int = env_field(
        15 * 60, "AUTH_LOGIN_FAILURE_WINDOW_SECONDS", gt=0
    )
    login_backoff_base_seconds: float = env_field(5.0, "AUTH_LOGIN_BACKOFF_BASE_SECONDS", gt=0)
    login_backoff_max_seconds: float = env_field(300.0, "AUTH_LOGIN_BACKOFF_MAX_SECONDS", gt=0)
    # Per client address (as Envoy derived it), the same backoff after this many failures
    # over any emails: high enough that a few typos on other accounts never get in the way.
    login_client_max_failures: int = env_field(50, "AUTH_LOGIN_CLIENT_MAX_FAILURES", ge=1)
    register_max_per_client: int = env_field(5, "AUTH_REGISTER_MAX_PER_CLIENT", ge=1)
    register_period_seconds: int = env_field(3600, "AUTH_REGISTER_PERIOD_SECONDS", gt=0)
    # What an API key's exchange (ExchangeApiKey) returns: an access token this short-lived,
    # at most this many times a minute per key (each service caches it, see API_KEY_CACHE_SECONDS).
    api_key_token_ttl_seconds: int = env_field(
        5 * 60, "AUTH_API_KEY_TOKEN_TTL_SECONDS", ge=30, le=3600
    )
    api_key_exchanges_per_minute: int = env_field(120, "AUTH_API_KEY_EXCHANGES_PER_MINUTE", ge=1)
    # Where ExportMyData reads the caller's folders and documents (with the caller's token).
    library_address: str = env_field("127.0.0.1:50052", "LIBRARY_ADDRESS")
    # Password accounts (Register, Login). Off when everyone signs in through OIDC: both answer
    # FAILED_PRECONDITION, while sign-ins already made (their tokens) keep working.
    password_sign_in_enabled: bool = env_field(True, "PASSWORD_SIGN_IN_ENABLED")
    # OpenID Connect sign-in (services/auth/oidc/): on when an issuer and a client id are set.
    oidc_issuer: str = env_field("", "OIDC_ISSUER")
    oidc_client_id: str = env_field("", "OIDC_CLIENT_ID")
    oidc_client_secret: SecretStr = env_field(SecretStr(""), "OIDC_CLIENT_SECRET")
    oidc_scopes: str = env_field("openid email profile", "OIDC_SCOPES")
    # Shown on the button: "Sign in with <name>" (empty: the issuer's host name).
    oidc_display_name: str = env_field("", "OIDC_DISPLAY_NAME")
    # Comma-separated callbacks StartOidcSignIn accepts (empty: the web app's /oidc/callback
    # on PUBLIC_BASE_URL); each must also be registered with the provider.
    oidc_redirect_uris: str = env_field("", "OIDC_REDIRECT_URIS")
    public_base_url: str = env_field("http://localhost:8080", "PUBLIC_BASE_URL")
    # A claim that grants ADMIN at sign-in when it is (or, as a list, contains) the value,
    # e.g. OIDC_ADMIN_CLAIM=groups OIDC_ADMIN_VALUE=speechflow-admins.
    oidc_admin_claim: str = env_field("", "OIDC_ADMIN_CLAIM")
    oidc_admin_value: str = env_field("", "OIDC_ADMIN_VALUE")
    # How long a started sign-in may take at the provider before FinishOidcSignIn refuses it.
    oidc_sign_in_ttl_seconds: int = env_field(600, "OIDC_SIGN_IN_TTL_SECONDS", gt=0)
    # StartOidcSignIn is open to anyone and stores a row: at most this many per client address.
    oidc_starts_per_client_per_minute: int = env_field(
        30, "OIDC_STARTS_PER_CLIENT_PER_MINUTE", ge=1
    )
    # The provider's discovery document is fetched again after this long (its JWKS whenever
    # an ID token names a key it does not hold, so key rotation needs no restart).
    oidc_metadata_ttl_seconds: int = env_field(3600, "OIDC_METADATA_TTL_SECONDS", gt=0)

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    def oidc_redirect_uri_list(self) -> list[str]:
        listed = [uri.strip() for uri in self.oidc_redirect_uris.split(",") if uri.strip()]
        return listed or [f"{self.public_base_url.rstrip('/')}/oidc/callback"]
