/*
 * openapi_bundle.c: a build tool. Makes the OpenAPI document that the
 * daemon serves at GET /v1/openapi.json out of docs/openapi.json, and the C
 * file that embeds it.
 *
 *   openapi_bundle VERSION docs/openapi.json OUT.json OUT.c
 *
 * docs/openapi.json names the wire contract's JSON Schemas by relative
 * reference ("schemas/alert.json#/properties/risk") so that they are
 * written once. A client fetching the document from the daemon cannot
 * follow such a reference, so the served copy stands alone: each schema
 * file it names is inlined as components/schemas/<file name without
 * .json> and every reference to it is rewritten to point there. An inlined
 * schema loses $id and $schema (it is no longer a resource of its own), so
 * its internal references ("#/$defs/x") are rewritten to its new place too.
 * info.version becomes the daemon's version.
 *
 * Runs on the build machine only: it exits on the first error with a
 * message, and writes each output through a temporary file so that a
 * failed run leaves no half-written target for make to trust.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char	*schemas_dir;	/* "<dir of the input>/schemas" */
static json_t		*inlined;	/* name -> schema, in the order first named */

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list	ap;

	fputs("openapi_bundle: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void	walk(json_t *, const char *owner);

/* "alert.json" -> "alert". Only plain file names inside schemas/: a
 * reference that climbs out or into a subdirectory is refused. */
static void
schema_name(const char *file, char *name, size_t len)
{
	size_t	n = strlen(file);

	if (n <= 5 || strcmp(file + n - 5, ".json") != 0 || n - 5 >= len ||
	    strchr(file, '/') != NULL || file[0] == '.')
		die("reference to \"%s\": expected schemas/NAME.json", file);
	memcpy(name, file, n - 5);
	name[n - 5] = '\0';
}

/* Loads schemas/<file> into `inlined` unless it is there already, and
 * rewrites the references inside it. */
static void
inline_schema(const char *file, const char *name)
{
	char		 path[4096];
	json_error_t	 err;
	json_t		*s;

	if (json_object_get(inlined, name) != NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", schemas_dir, file);
	if ((s = json_load_file(path, JSON_REJECT_DUPLICATES, &err)) == NULL)
		die("%s:%d: %s", path, err.line, err.text);
	if (!json_is_object(s))
		die("%s: not a JSON object", path);
	json_object_del(s, "$id");
	json_object_del(s, "$schema");
	/* Placed before the walk, so a cycle of references ends here. */
	json_object_set_new(inlined, name, s);
	walk(s, name);
}

/* The new value of a "$ref" found in owner (NULL: the OpenAPI document
 * itself, else an inlined schema's name). Returns a new string, or NULL
 * to leave the reference as it is. */
static char *
rewrite(const char *ref, const char *owner)
{
	char		 file[1024], name[256], *out;
	const char	*hash = strchr(ref, '#'), *frag;
	size_t		 flen;

	frag = hash != NULL ? hash + 1 : "";
	flen = hash != NULL ? (size_t)(hash - ref) : strlen(ref);
	if (flen == 0) {		/* "#/..." inside its own document */
		if (owner == NULL)
			return NULL;
		snprintf(name, sizeof(name), "%s", owner);
	} else {
		if (flen >= sizeof(file))
			die("reference too long: %.64s...", ref);
		memcpy(file, ref, flen);
		file[flen] = '\0';
		/* The document names "schemas/x.json", a schema "x.json". */
		if (owner == NULL && strncmp(file, "schemas/", 8) != 0)
			die("reference to \"%s\": expected schemas/NAME.json", file);
		schema_name(owner == NULL ? file + 8 : file, name, sizeof(name));
		inline_schema(owner == NULL ? file + 8 : file, name);
	}
	if (*frag != '\0' && *frag != '/')
		die("reference \"%s\": only JSON pointer fragments", ref);
	if (asprintf(&out, "#/components/schemas/%s%s", name, frag) == -1)
		die("out of memory");
	return out;
}

/* Rewrites every "$ref" under node, which belongs to owner. */
static void
walk(json_t *node, const char *owner)
{
	const char	*key;
	json_t		*v;
	size_t		 i;
	char		*ref;

	if (json_is_array(node)) {
		json_array_foreach(node, i, v)
			walk(v, owner);
		return;
	}
	if (!json_is_object(node))
		return;
	json_object_foreach(node, key, v) {
		if (strcmp(key, "$ref") == 0 && json_is_string(v)) {
			if ((ref = rewrite(json_string_value(v), owner)) != NULL) {
				json_string_set(v, ref);
				free(ref);
			}
		} else
			walk(v, owner);
	}
}

static FILE *
open_tmp(const char *path, char *tmp, size_t len)
{
	FILE	*f;

	snprintf(tmp, len, "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		die("%s: %s", tmp, strerror(errno));
	return f;
}

static void
close_rename(FILE *f, const char *tmp, const char *path)
{
	if (ferror(f) || fclose(f) != 0)
		die("%s: write error", tmp);
	if (rename(tmp, path) == -1)
		die("%s: %s", path, strerror(errno));
}

/* The document as a NUL-terminated byte array: no string literal, so no
 * escaping and no compiler limit on literal length. */
static void
write_c(const char *path, const char *json, size_t len)
{
	char	 tmp[4096];
	FILE	*f = open_tmp(path, tmp, sizeof(tmp));
	size_t	 i;

	fputs("/* Generated by tools/gen/openapi_bundle.c from docs/openapi.json and\n"
	    " * docs/schemas/: do not edit. Served at GET /v1/openapi.json. */\n"
	    "#include <stddef.h>\n\n"
	    "extern const char openapi_json[];\n"
	    "extern const size_t openapi_json_len;\n\n"
	    "const char openapi_json[] = {", f);
	for (i = 0; i < len; i++)
		fprintf(f, "%s0x%02x,", i % 16 == 0 ? "\n\t" : " ",
		    (unsigned char)json[i]);
	fprintf(f, "\n\t0x00\n};\nconst size_t openapi_json_len = %zu;\n", len);
	close_rename(f, tmp, path);
}

int
main(int argc, char *argv[])
{
	json_error_t	 err;
	json_t		*doc, *info, *comp, *schemas, *v;
	const char	*key;
	char		*dir, *slash, *text, *body, tmp[4096];
	FILE		*f;

	if (argc != 5)
		die("usage: openapi_bundle VERSION IN.json OUT.json OUT.c");
	if ((doc = json_load_file(argv[2], JSON_REJECT_DUPLICATES, &err)) == NULL)
		die("%s:%d: %s", argv[2], err.line, err.text);
	if ((dir = strdup(argv[2])) == NULL)
		die("out of memory");
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if (asprintf(&slash, "%s/schemas", dir) == -1)
		die("out of memory");
	schemas_dir = slash;
	inlined = json_object();

	if (!json_is_object(info = json_object_get(doc, "info")))
		die("%s: no info object", argv[2]);
	json_object_set_new(info, "version", json_string(argv[1]));
	walk(doc, NULL);

	if ((comp = json_object_get(doc, "components")) == NULL)
		json_object_set_new(doc, "components", comp = json_object());
	if ((schemas = json_object_get(comp, "schemas")) == NULL)
		json_object_set_new(comp, "schemas", schemas = json_object());
	json_object_foreach(inlined, key, v) {
		if (json_object_get(schemas, key) != NULL)
			die("components/schemas/%s exists already: rename it", key);
		json_object_set(schemas, key, v);
	}

	/* The file and the embedded copy are the same bytes. */
	if ((text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL ||
	    asprintf(&body, "%s\n", text) == -1)
		die("out of memory");
	f = open_tmp(argv[3], tmp, sizeof(tmp));
	fputs(body, f);
	close_rename(f, tmp, argv[3]);
	write_c(argv[4], body, strlen(body));
	free(text);
	free(body);
	json_decref(doc);
	json_decref(inlined);
	free(dir);
	free(slash);
	return 0;
}
