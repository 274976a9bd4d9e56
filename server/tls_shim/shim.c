/*
 * libmado-tls.so: lets Debian's CivetWeb 1.15 use OpenSSL 3.
 *
 * CivetWeb dlopens "libssl.so" and looks up SSL_get_peer_certificate, which OpenSSL 3 only
 * provides as a macro for SSL_get1_peer_certificate (same meaning: a new reference the
 * caller frees). This library carries the soname "libssl.so", defines that one symbol and
 * depends on the real libssl.so.3, so every other lookup through its handle finds OpenSSL.
 * mado loads it before CivetWeb starts; the dynamic loader then answers CivetWeb's dlopen
 * with it.
 */
#include <openssl/ssl.h>

/* OpenSSL 3's header makes the old name a macro; without this the function calls itself. */
#undef SSL_get_peer_certificate

X509 *SSL_get_peer_certificate(const SSL *s);

X509 *
SSL_get_peer_certificate(const SSL *s)
{
	return SSL_get1_peer_certificate(s);
}
