"""OpenID Connect sign-in (authorization code + PKCE) with any standard provider."""
