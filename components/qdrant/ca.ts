/**
 * POSIX sh for the scripts that call Qdrant with curl: QDRANT_CA_PEM (the CA of Qdrant's
 * certificate) into a file curl verifies the server with (CURL_CA_BUNDLE, read by the curl tool).
 */
export const QDRANT_CA_SETUP = String.raw`if [ -n "${"$"}{QDRANT_CA_PEM:-}" ]; then
    CURL_CA_BUNDLE="$(mktemp)"
    printf '%s\n' "$QDRANT_CA_PEM" > "$CURL_CA_BUNDLE"
    export CURL_CA_BUNDLE
fi`;
