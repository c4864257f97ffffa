#!/usr/bin/env bash
# Makes the identity cards the card-login tests use, in OUTDIR: a test CA
# (and a second, unknown one), a CRL, and one SoftHSM2 token per card, each
# holding an RSA-2048 key and its authentication certificate under id 01, as
# a CIE or a TS-CNS holds them. The tokens sit behind the test reader module
# (tests/card/fake_reader.c), which shows one of them as the card in the reader.
#   make_cards.sh OUTDIR
# Cards (token label: holder, PIN):
#   cie-rossi     CIE form (serialNumber TINIT-RSSMRA80A01H501U), PIN 12345678
#   cns-greco     TS-CNS form (CN GRCFNC70D52L219G/…), PIN 73915284
#   expired       Rossi, valid 2020–2021
#   unknown-ca    Rossi, from a CA the kiosk does not trust
#   revoked       Rossi, listed in the CRL
#   no-cf         CN "Mario Rossi", no codice fiscale
#   not-enrolled  VRDGPP75C12F205K, a valid code not in the archive
#   wrong-usage   Rossi, key usage keyEncipherment only
# Every card but cns-greco has PIN 12345678.
set -euo pipefail
out=$1
rm -rf "$out"
mkdir -p "$out/tokens" "$out/reader" "$out/work"
cd "$out/work"
softhsm_module=/usr/lib/softhsm/libsofthsm2.so
cat >"$out/softhsm2.conf" <<CONF
directories.tokendir = $out/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = true
CONF
export SOFTHSM2_CONF=$out/softhsm2.conf

# A CA with openssl ca, so that dates and revocations are the CA's own.
make_ca() {  # DIR CN
  local dir=$1 cn=$2
  mkdir -p "$dir/new"
  : >"$dir/index.txt"
  echo 1000 >"$dir/serial"
  echo 1000 >"$dir/crlnumber"
  cat >"$dir/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
dir = $dir
database = \$dir/index.txt
new_certs_dir = \$dir/new
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
serial = \$dir/serial
crlnumber = \$dir/crlnumber
default_md = sha256
default_crl_days = 3650
policy = anything
unique_subject = no
copy_extensions = none
[anything]
countryName = optional
organizationName = optional
serialNumber = optional
commonName = supplied
givenName = optional
surname = optional
[auth_cert]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[wrong_usage]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyEncipherment
[req]
distinguished_name = dn
[dn]
CNF
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 3650 \
    -subj "/C=IT/O=Cassetto Kiosk test/CN=$cn" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
make_ca "$out/ca" "CA di prova per la CIE"
make_ca "$out/other-ca" "CA sconosciuta"

# card LABEL PIN CA SUBJECT [openssl ca options...]
card() {
  local label=$1 pin=$2 ca=$3 subject=$4
  shift 4
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$label.key" 2>/dev/null
  openssl req -new -key "$label.key" -subj "$subject" -out "$label.csr" -config "$ca/ca.cnf" 2>/dev/null
  openssl ca -batch -config "$ca/ca.cnf" -in "$label.csr" -out "$label.pem" -notext \
    -extensions auth_cert "$@" 2>/dev/null
  openssl x509 -in "$label.pem" -outform DER -out "$label.der"
  softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin 87654321 >/dev/null
  softhsm2-util --import "$label.key" --token "$label" --label autenticazione --id 01 \
    --pin "$pin" >/dev/null
  pkcs11-tool --module "$softhsm_module" --token-label "$label" --login --pin "$pin" \
    --write-object "$label.der" --type cert --id 01 --label autenticazione >/dev/null 2>&1
  cp "$label.pem" "$out/$label.pem"
}
days=(-days 1825)
card cie-rossi 12345678 "$out/ca" "/C=IT/O=Ministero dell'Interno/serialNumber=TINIT-RSSMRA80A01H501U/GN=MARIO/SN=ROSSI/CN=ROSSI MARIO" "${days[@]}"
card cns-greco 73915284 "$out/ca" "/C=IT/O=Regione di prova/CN=GRCFNC70D52L219G\/7420000123456789.Ab12Cd34Ef56Gh78=" "${days[@]}"
card expired 12345678 "$out/ca" "/C=IT/serialNumber=TINIT-RSSMRA80A01H501U/CN=ROSSI MARIO" \
  -startdate 20200101000000Z -enddate 20210101000000Z
card unknown-ca 12345678 "$out/other-ca" "/C=IT/serialNumber=TINIT-RSSMRA80A01H501U/CN=ROSSI MARIO" "${days[@]}"
card revoked 12345678 "$out/ca" "/C=IT/serialNumber=TINIT-RSSMRA80A01H501U/CN=ROSSI MARIO" "${days[@]}"
card no-cf 12345678 "$out/ca" "/C=IT/CN=Mario Rossi" "${days[@]}"
card not-enrolled 12345678 "$out/ca" "/C=IT/serialNumber=TINIT-VRDGPP75C12F205K/CN=VERDI GIUSEPPE" "${days[@]}"
card wrong-usage 12345678 "$out/ca" "/C=IT/serialNumber=TINIT-RSSMRA80A01H501U/CN=ROSSI MARIO" \
  -extensions wrong_usage "${days[@]}"

openssl ca -batch -config "$out/ca/ca.cnf" -revoke revoked.pem -crl_reason keyCompromise 2>/dev/null
openssl ca -batch -config "$out/ca/ca.cnf" -gencrl -out "$out/crl.pem" 2>/dev/null
cp "$out/ca/ca.pem" "$out/ca.pem"
cp "$out/other-ca/ca.pem" "$out/other-ca.pem"
rm -rf "$out/work"
