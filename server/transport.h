// The two stream types a connection can have. Sessions are templates on
// the stream type, so the plain path pays nothing for TLS.

#ifndef UPTAKE_SERVER_TRANSPORT_H_
#define UPTAKE_SERVER_TRANSPORT_H_

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace uptake {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

}  // namespace uptake

#endif  // UPTAKE_SERVER_TRANSPORT_H_
