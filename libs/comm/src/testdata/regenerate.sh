#!/bin/sh
# Test-only TLS material (never used outside tests): a CA and one worker certificate for
# localhost / 127.0.0.1, valid 100 years. Regenerate: sh regenerate.sh
set -e
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=tunefleet test CA" -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout worker.key -out worker.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > worker.ext
openssl x509 -req -in worker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 36500 -extfile worker.ext -out worker.crt 2>/dev/null
rm -f worker.csr worker.ext ca.srl ca.key
