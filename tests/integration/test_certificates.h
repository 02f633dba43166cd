// Throwaway TLS certificates made with OpenSSL when a test runs, so that
// no key material is kept in the repository.

#ifndef UPTAKE_TESTS_INTEGRATION_TEST_CERTIFICATES_H_
#define UPTAKE_TESTS_INTEGRATION_TEST_CERTIFICATES_H_

#include <string>

namespace uptake::testing {

// A server certificate and its private key, in PEM.
struct ServerIdentity {
  std::string certificate_pem;
  std::string private_key_pem;
};

// A self-signed CA and one server certificate it signs, valid from an hour
// ago for a day. A server that uses it sends no CA certificate, so a
// client trusts it only when given the CA.
class TestCertificates {
 public:
  // Generates P-256 keys and both certificates. The server certificate's
  // subjectAltName is `subject_alt_names` in the `openssl x509 -extfile`
  // syntax. Throws std::runtime_error with OpenSSL's error when a step fails.
  explicit TestCertificates(
      const std::string& subject_alt_names = "DNS:localhost,IP:127.0.0.1,IP:::1");

  const std::string& ca_pem() const { return ca_pem_; }
  const ServerIdentity& server() const { return server_; }

 private:
  std::string ca_pem_;
  ServerIdentity server_;
};

}  // namespace uptake::testing

#endif  // UPTAKE_TESTS_INTEGRATION_TEST_CERTIFICATES_H_
