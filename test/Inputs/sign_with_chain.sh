#!/bin/sh
# sign_with_chain.sh BPFSEAL SEALED.o KEY CERT: signs every loader of SEALED.o
# in place with `openssl cms`, carrying the signer certificate inside the CMS
# (no -nocerts), as a signer who chains to a CA directory does
# (test/sign/ca-dir.test). Exits non-zero when a step fails.
set -e
bpfseal=$1 sealed=$2 key=$3 cert=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bpfseal" sign "$sealed" --detached-out "$dir" > /dev/null
set --
for payload in "$dir"/*.payload; do
  loader=$(basename "$payload" .payload)
  openssl cms -sign -binary -noattr -outform DER -keyid -md sha256 \
      -in "$payload" -signer "$cert" -inkey "$key" -out "$dir/$loader.p7s"
  set -- "$@" --attach-signature "$loader=$dir/$loader.p7s"
done
"$bpfseal" sign "$sealed" "$@" > /dev/null
