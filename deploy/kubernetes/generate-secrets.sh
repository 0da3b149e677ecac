#!/usr/bin/env bash
# Writes the Secrets SpeechFlow's manifests read, as YAML on stdout, for one namespace:
#
#   AUTH_DATABASE_URL=postgresql+psycopg://speechflow:PASSWORD@db.example.com:5432/speechflow_auth \
#   LIBRARY_DATABASE_URL=postgresql+psycopg://speechflow:PASSWORD@db.example.com:5432/speechflow_library \
#   S3_ACCESS_KEY=... S3_SECRET_KEY=... \
#   deploy/kubernetes/generate-secrets.sh speechflow > ~/speechflow-secrets.yaml
#   kubectl apply -f ~/speechflow-secrets.yaml   # then keep it in your secrets store
#
# New random values each run (the JWT key pair, the NATS passwords, the download-signing
# secret): applying a second run's output signs everybody out and needs a restart of every
# pod (docs/deploying.md). Optional provider keys are taken from the environment when set:
# RESEND_API_KEY, OPENROUTER_API_KEY, GROQ_API_KEY, LLM_API_KEY, OIDC_CLIENT_SECRET.
# Needs openssl and kubectl (no cluster: `--dry-run=client`).
set -euo pipefail

namespace=${1:?usage: generate-secrets.sh NAMESPACE > speechflow-secrets.yaml}
for required in AUTH_DATABASE_URL LIBRARY_DATABASE_URL S3_ACCESS_KEY S3_SECRET_KEY; do
  [ -n "${!required:-}" ] || { echo "generate-secrets.sh: set $required" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

secret() {
  kubectl create secret generic "$1" --namespace "$namespace" --dry-run=client -o yaml "${@:2}"
  echo "---"
}

# The access-token key pair (Ed25519, PKCS#8 and SubjectPublicKeyInfo PEM, as auth writes).
openssl genpkey -algorithm ed25519 -out "$work/jwt-ed25519.pem" 2>/dev/null
openssl pkey -in "$work/jwt-ed25519.pem" -pubout -out "$work/jwt-ed25519.pub.pem"
secret speechflow-jwt \
  --from-file="jwt-ed25519.pem=$work/jwt-ed25519.pem" \
  --from-file="jwt-ed25519.pub.pem=$work/jwt-ed25519.pub.pem"

# One NATS user per service (and `operator` for tools); URL-safe like nats_auth.py's.
users=()
for user in operator auth library transcriber summarizer renderer notifier; do
  users+=("--from-literal=$user=$(openssl rand -hex 32)")
done
secret speechflow-nats-users "${users[@]}"

# The notifier keeps its tables in a schema of its own, so the library's database serves it
# unless NOTIFIER_DATABASE_URL names another.
secret speechflow-database \
  --from-literal="AUTH_DATABASE_URL=$AUTH_DATABASE_URL" \
  --from-literal="LIBRARY_DATABASE_URL=$LIBRARY_DATABASE_URL" \
  --from-literal="NOTIFIER_DATABASE_URL=${NOTIFIER_DATABASE_URL:-$LIBRARY_DATABASE_URL}"

secret speechflow-storage-credentials \
  --from-literal="S3_ACCESS_KEY=$S3_ACCESS_KEY" \
  --from-literal="S3_SECRET_KEY=$S3_SECRET_KEY"

# The library and the notifier sign download links with the same secret.
secret speechflow-app --from-literal="LIBRARY_DOWNLOAD_SIGNING_SECRET=$(openssl rand -hex 32)"

providers=()
for key in RESEND_API_KEY OPENROUTER_API_KEY GROQ_API_KEY LLM_API_KEY OIDC_CLIENT_SECRET; do
  [ -z "${!key:-}" ] || providers+=("--from-literal=$key=${!key}")
done
kubectl create secret generic speechflow-providers --namespace "$namespace" \
  --dry-run=client -o yaml "${providers[@]}"
