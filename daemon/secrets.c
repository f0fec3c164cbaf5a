/*
 * secrets.c: the one rule for every secret the daemon reads.
 *
 * A secret is the value of a key that config_secret_key() names (passwords,
 * client secrets, passphrases, inline private keys, the OAUTHBEARER
 * config), the content of a file that a key names as holding one (the
 * [http] token file, ssl.key.location, ssl.keystore.location,
 * sasl.kerberos.keytab), or the content behind @file: and @credential:.
 * Wherever it is stored, that file must be a regular file that only its
 * owner may access: no group or other permission bits, as ssh does for
 * private keys. That covers the configuration file itself when a secret
 * is written in it in clear; a configuration that only refers to secrets
 * (@file:, @credential:) may stay world-readable.
 *
 * secret_file_private() is the rule; config.c (token file, clear secrets
 * in the file), config_keys.c (@file:, @credential:) and kafka_conf.c (key
 * and keytab files) call it. Messages name the file, never its content.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon.h"

/* 1 if the value of [kafka] key is a secret. librdkafka's names: every
 * *.password, sasl.oauthbearer.client.secret, ssl.key.pem, and what 2.x
 * adds in the same words (passphrase, private key). */
int
config_secret_key(const char *key)
{
	return strstr(key, "password") != NULL || strstr(key, "secret") != NULL ||
	    strstr(key, "passphrase") != NULL ||
	    strstr(key, "private.key") != NULL ||
	    strcmp(key, "ssl.key.pem") == 0 || strcmp(key, "ssl_key") == 0 ||
	    strcmp(key, "sasl.oauthbearer.config") == 0;
}

/* 1 if [kafka] key names a file whose content is a secret. */
int
config_secret_file_key(const char *key)
{
	return strcmp(key, "ssl.key.location") == 0 ||
	    strcmp(key, "ssl.keystore.location") == 0 ||
	    strcmp(key, "sasl.kerberos.keytab") == 0;
}

/*
 * The rule: path (st its stat or fstat) holds a secret, so it must be a
 * regular file without group or other permission bits. 0, or -1 with a
 * reason that starts with path.
 */
int
secret_file_private(const char *path, const struct stat *st, char *reason,
    size_t rlen)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(reason, rlen, "%s: not a regular file", path);
		return -1;
	}
	if (st->st_mode & 077) {
		snprintf(reason, rlen, "%s: mode %04o lets group or others access "
		    "it (chmod 600)", path, (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}
