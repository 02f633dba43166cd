#include "tests/integration/test_certificates.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace uptake::testing {
namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertificatePtr = std::unique_ptr<X509, decltype(&X509_free)>;

constexpr long kValidFromSeconds = -3600;
constexpr long kValidForSeconds = 24 * 3600;

// Throws with `step` and the oldest OpenSSL error queued.
[[noreturn]] void ThrowOpenSslError(const std::string& step) {
  char text[256] = "no OpenSSL error queued";
  if (const unsigned long error = ERR_get_error()) ERR_error_string_n(error, text, sizeof(text));
  ERR_clear_error();
  throw std::runtime_error(step + " failed: " + text);
}

void Check(int result, const std::string& step) {
  if (result != 1) ThrowOpenSslError(step);
}

KeyPtr GenerateKey() {
  KeyPtr key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  if (!key) ThrowOpenSslError("generating a P-256 key");
  return key;
}

// Adds one extension written in the `openssl x509 -extfile` syntax, such as
// "critical,CA:TRUE" for NID_basic_constraints.
void AddExtension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) ThrowOpenSslError("making extension " + value);
  const int added = X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
  Check(added, "adding extension " + value);
}

// Fills in a certificate for `key` named `common_name`, without issuer or
// signature.
CertificatePtr NewCertificate(EVP_PKEY* key, const std::string& common_name, long serial) {
  CertificatePtr certificate(X509_new(), &X509_free);
  if (!certificate) ThrowOpenSslError("allocating a certificate");
  Check(X509_set_version(certificate.get(), X509_VERSION_3), "setting the version");
  Check(ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), serial), "setting the serial");
  if (X509_gmtime_adj(X509_getm_notBefore(certificate.get()), kValidFromSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(certificate.get()), kValidForSeconds) == nullptr) {
    ThrowOpenSslError("setting the validity");
  }
  Check(X509_set_pubkey(certificate.get(), key), "setting the public key");

  X509_NAME* name = X509_get_subject_name(certificate.get());
  Check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0),
        "setting the common name");
  return certificate;
}

std::string CertificatePem(X509* certificate) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio) ThrowOpenSslError("allocating a memory BIO");
  Check(PEM_write_bio_X509(bio.get(), certificate), "writing a certificate as PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string PrivateKeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio) ThrowOpenSslError("allocating a memory BIO");
  Check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
        "writing a private key as PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace

TestCertificates::TestCertificates(const std::string& subject_alt_names) {
  KeyPtr ca_key = GenerateKey();
  CertificatePtr ca = NewCertificate(ca_key.get(), "uptake test CA", /*serial=*/1);
  Check(X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())), "setting the CA issuer");
  AddExtension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(ca.get(), ca_key.get(), EVP_sha256()) == 0) ThrowOpenSslError("signing the CA");

  KeyPtr server_key = GenerateKey();
  CertificatePtr server = NewCertificate(server_key.get(), "localhost", /*serial=*/2);
  Check(X509_set_issuer_name(server.get(), X509_get_subject_name(ca.get())),
        "setting the server issuer");
  AddExtension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  AddExtension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  AddExtension(server.get(), ca.get(), NID_subject_alt_name, subject_alt_names);
  AddExtension(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  if (X509_sign(server.get(), ca_key.get(), EVP_sha256()) == 0) {
    ThrowOpenSslError("signing the server certificate");
  }

  ca_pem_ = CertificatePem(ca.get());
  server_.certificate_pem = CertificatePem(server.get());
  server_.private_key_pem = PrivateKeyPem(server_key.get());
}

}  // namespace uptake::testing
