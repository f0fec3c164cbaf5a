/*
 * test_protected.c: protected characteristics under any spelling
 * (state/protname.c, issue 10 item 3): a table of names that must be
 * protected (with the canonical name they count under) and of harmless
 * names that must stay model inputs, the folding and splitting behind it,
 * configured extras, and end to end through the pipeline: a hire carrying
 * the spellings leaves none of them among the employee's
 * covariates while the harmless ones are there.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../../pipeline/pipeline.h"
#include "../../state/protname.h"
#include "../../state/table.h"

/* name -> canonical built-in it is, NULL for harmless */
static const struct {
	const char	*name;
	const char	*canon;
} table[] = {
	/* the spellings of the issue */
	{ "age_years", "age" },
	{ "gender_identity", "gender" },
	{ "\xef\xbc\xa7" "ender", "gender" },		/* full-width G */
	{ "gen\xe2\x80\x8b" "der", "gender" },		/* zero-width space */
	{ "Ethnicity_Group", "ethnicity" },
	{ "disability_flag", "disability" },
	{ "nationality_code", "nationality" },
	/* case, separators, camelCase, glued long words */
	{ "GENDER", "gender" }, { "genderIdentity", "gender" },
	{ "genderidentity", "gender" }, { "Gen_Der", "gender" },
	{ "employee.gender", "gender" }, { "gender2", "gender" },
	{ "AgeYears", "age" }, { "AGE", "age" }, { "age-band", "age" },
	{ "emp_age", "age" }, { "ageYrs", "age" }, { "average_age", "age" },
	{ "AGEYears", "age" }, { "age2", "age" }, { "a_g_e", "age" },
	{ "Sex", "sex" }, { "sexCode", "sex" }, { "biological sex", "sex" },
	{ "DOB", "date_of_birth" }, { "DoB", "date_of_birth" },
	{ "date_of_birth", "date_of_birth" }, { "birthDate", "date_of_birth" },
	{ "yearofbirth", "date_of_birth" }, { "MaritalStatus", "marital_status" },
	{ "marital", "marital_status" }, { "ethnic_origin", "ethnicity" },
	{ "race", "race" }, { "RaceCode", "race" }, { "multiracial", "race" },
	{ "religiousAffiliation", "religion" }, { "RELIGION", "religion" },
	{ "is_disabled", "disability" }, { "disabilities", "disability" },
	{ "Nationality", "nationality" },
	/* other Unicode disguises */
	{ "\xf0\x9d\x90\xa0" "ender", "gender" },	/* mathematical bold g */
	{ "g\xc3\xa9nder", "gender" },			/* precomposed e-acute */
	{ "ge\xcc\x81nder", "gender" },			/* e + combining acute */
	{ "gen\xc2\xad" "der", "gender" },		/* soft hyphen */
	{ "gen\xe2\x80\x8d" "der", "gender" },		/* zero-width joiner */
	{ "\xef\xbb\xbfgender", "gender" },		/* BOM */
	{ "age\xe3\x80\x80years", "age" },		/* ideographic space */
	{ "age\xe2\x80\x94years", "age" },		/* em dash */
	{ "\xef\xbd\x81\xef\xbd\x87\xef\xbd\x85", "age" },	/* full-width age */
	{ "\xc5\xbf" "ex", "sex" },			/* long s */
	{ "SEX\xef\xb8\x8f", "sex" },			/* variation selector */
	{ "ETHNIC\xc4\xb0TY", "ethnicity" },		/* dotted capital I */
	/* harmless: no protected word among the tokens */
	{ "overtime", NULL }, { "commute_km", NULL }, { "stage", NULL },
	{ "agent", NULL }, { "language", NULL }, { "manager", NULL },
	{ "average", NULL }, { "wage", NULL }, { "percentage", NULL },
	{ "agency", NULL }, { "page_views", NULL }, { "usage", NULL },
	{ "Essex_office", NULL }, { "trace_id", NULL }, { "grace_days", NULL },
	{ "message_count", NULL }, { "engagement_score", NULL },
	{ "DepartmentSize", NULL }, { "distance_km", NULL }, { "storage", NULL },
	{ "leverage", NULL }, { "mileage", NULL }, { "image", NULL },
	{ "dobby", NULL }, { "racetrack", NULL }, { "sextant", NULL },
	{ "Managerage", NULL },		/* glued short word: documented miss */
};

static void
test_table(void)
{
	struct pname	 pn;
	const char	*got;
	size_t		 i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		CHECK(pname_fold(&pn, table[i].name) == 0);
		got = pname_builtin(&pn);
		if ((got == NULL) != (table[i].canon == NULL) ||
		    (got != NULL && strcmp(got, table[i].canon) != 0)) {
			fprintf(stderr, "  \"%s\" (folded \"%s\"): got %s, want %s\n",
			    table[i].name, pn.glued, got ? got : "harmless",
			    table[i].canon ? table[i].canon : "harmless");
			CHECK(0);
		}
	}
}

static void
test_fold(void)
{
	struct pname pn;

	CHECK(pname_fold(&pn, "HTMLParser_v2ID") == 0);
	CHECK(pn.ntok == 5);
	CHECK_STR(pn.buf + pn.tok[0], "html");
	CHECK_STR(pn.buf + pn.tok[1], "parser");
	CHECK_STR(pn.buf + pn.tok[2], "v");
	CHECK_STR(pn.buf + pn.tok[3], "2");
	CHECK_STR(pn.buf + pn.tok[4], "id");
	CHECK_STR(pn.glued, "htmlparserv2id");
	CHECK(pname_fold(&pn, "\xef\xac\x81le_\xe2\x91\xa0") == 0);	/* fi ligature, circled 1 */
	CHECK_STR(pn.glued, "file1");
	CHECK(pname_fold(&pn, "___") == 0 && pn.ntok == 0);
	CHECK(pname_fold(&pn, "") == 0 && pn.ntok == 0);
	/* not UTF-8: the caller treats it as protected */
	CHECK(pname_fold(&pn, "gen\xff") == -1);
	CHECK(pname_fold(&pn, "\xc0\xaf") == -1);		/* overlong */
	CHECK(pname_fold(&pn, "\xed\xa0\x80") == -1);		/* surrogate */
	CHECK(strlen(pname_unicode_version()) > 0);
}

static void
test_extras(void)
{
	struct features_config	 cfg;
	struct features		*f;

	memset(&cfg, 0, sizeof(cfg));
	cfg.extra_protected[0] = "Union Member";
	cfg.extra_protected[1] = "pregnancy";
	cfg.extra_protected[2] = "agegroup";	/* a glued short word, named */
	CHECK((f = features_new(&cfg)) != NULL);
	CHECK(features_is_protected(f, "union_member"));
	CHECK(features_is_protected(f, "isUnionMember"));
	CHECK(features_is_protected(f, "PREGNANCY_status"));
	CHECK(features_is_protected(f, "\xef\xbd\x90regnancy"));	/* full-width p */
	CHECK(features_is_protected(f, "agegroup"));
	CHECK(features_is_protected(f, "age_years"));		/* built-in */
	CHECK(!features_is_protected(f, "union"));
	CHECK(!features_is_protected(f, "overtime"));
	CHECK(features_is_protected(f, "gen\xff"));	/* not UTF-8: protected */
	features_free(f);
}

static int
drop(void *arg, const struct output *o)
{
	(void)arg;
	(void)o;
	return 0;
}

/* The spellings on a hire, through decode, apply and features. */
static void
test_pipeline(void)
{
	static const char *const protected_names[] = {
		"age_years", "gender_identity", "\xef\xbc\xa7" "ender",
		"gen\xe2\x80\x8b" "der", "Ethnicity_Group", "disability_flag",
		"nationality_code",
	};
	const char *ev = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"t\","
	    "\"type\":\"hr.employee.hired\",\"subject\":\"E1\","
	    "\"time\":\"2025-01-01T00:00:00Z\",\"data\":{\"department\":\"Ops\","
	    "\"job_level\":3,\"salary\":52000,\"attributes\":{"
	    "\"age_years\":41,\"gender_identity\":\"x\",\"\\uff27ender\":\"f\","
	    "\"gen\\u200bder\":\"m\",\"Ethnicity_Group\":\"g\","
	    "\"disability_flag\":\"no\",\"nationality_code\":\"FR\","
	    "\"overtime\":\"yes\",\"commute_km\":12,\"manager_level\":2}}}";
	struct pipeline_config	 cfg;
	struct pipeline		*p;
	struct message		 m;
	char			 err[256], *json;
	size_t			 i;

	pipeline_config_defaults(&cfg);
	CHECK((p = pipeline_new(&cfg, err, sizeof(err))) != NULL);
	if (p == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.value = ev;
	m.len = strlen(ev);
	CHECK(pipeline_run_all(p, &m, drop, NULL) == PIPE_OK);
	json = pipeline_employee_json(p, "E1");
	CHECK(json != NULL);
	if (json != NULL) {
		/* the harmless ones are covariates: the check can fail */
		CHECK(strstr(json, "\"overtime=yes\"") != NULL);
		CHECK(strstr(json, "\"commute_km\"") != NULL);
		CHECK(strstr(json, "\"manager_level\"") != NULL);
		for (i = 0; i < sizeof(protected_names) / sizeof(protected_names[0]); i++) {
			if (strstr(json, protected_names[i]) != NULL) {
				fprintf(stderr, "  covariate: %s\n", protected_names[i]);
				CHECK(0);
			}
		}
		CHECK(strstr(json, "\\uff27") == NULL && strstr(json, "\\u200b") == NULL);
	}
	free(json);
	pipeline_free(p);
}

int
main(void)
{
	test_table();
	test_fold();
	test_extras();
	test_pipeline();
	return check_exit("test_protected");
}
