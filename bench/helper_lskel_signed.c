/* The floor of a load verified in user space: the unsigned light skeleton
 * (helper_lskel.c) after one OpenSSL CMS check of the signature libbpfseal
 * checks for the object (the same loader's payload and DER CMS, from
 * `bpfseal sign --detached-out`), against a pinned certificate as with
 * --cert. No sealed file, no kernel probe, no metadata map: only what any
 * user-space check with OpenSSL 3 adds to the lskel (its one-time
 * initialisation, the certificate, the CMS check).
 *   bench_lskel_signed_NAME [--warm N] CERT SIG.p7s PAYLOAD
 * The certificate and files are read once per process (libbpfseal parses
 * its trust store once per process too); the CMS is parsed and checked on
 * every load. */
#include "helper_common.h"
#include "helper_lskel_load.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static STACK_OF(X509) *pinned;
static unsigned char *sig, *payload;
static long sig_len, payload_len;

static unsigned char *read_all(const char *path, long *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	if (!f || fseek(f, 0, SEEK_END) || (*len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc(*len)) || fread(buf, 1, *len, f) != (size_t)*len) {
		fprintf(stderr, "bench_lskel_signed: cannot read %s\n", path);
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

static int verify_once(void)
{
	const unsigned char *p = sig;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, sig_len);
	BIO *content = BIO_new_mem_buf(payload, (int)payload_len);
	int ok = cms && content &&
		 CMS_verify(cms, pinned, NULL, content, NULL,
			    CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY) == 1;
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	if (!ok) {
		fprintf(stderr, "bench_lskel_signed: the signature does not verify\n");
		ERR_print_errors_fp(stderr);
	}
	return ok ? 0 : -1;
}

static int load_once(void)
{
	return verify_once() ? -1 : lskel_load_once("bench_lskel_signed");
}

int main(int argc, char **argv)
{
	long warm = bench_warm_rounds(&argc, &argv);
	if (argc != 4)
		return fprintf(stderr, "usage: bench_lskel_signed [--warm N] CERT SIG PAYLOAD\n"), 2;
	FILE *f = fopen(argv[1], "rb");
	X509 *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f && !cert) {
		rewind(f);
		cert = d2i_X509_fp(f, NULL);
	}
	if (f)
		fclose(f);
	if (!cert)
		return fprintf(stderr, "bench_lskel_signed: cannot read certificate %s\n", argv[1]), 1;
	pinned = sk_X509_new_null();
	if (!pinned || !sk_X509_push(pinned, cert))
		return 1;
	sig = read_all(argv[2], &sig_len);
	payload = read_all(argv[3], &payload_len);
	if (!sig || !payload)
		return 1;
	BENCH_RUN(warm, load_once());
}
