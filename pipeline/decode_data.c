/*
 * decode_data.c: the `data` of a CloudEvent, per event type (the table in
 * CONTRACT.md), into the typed fields of struct hr_event. decode.c has
 * taken the envelope apart and hands over the data object; this file
 * knows each type's fields, their JSON types and ranges. Absent and JSON
 * null are the same; unknown fields are ignored; an integral real (3.0)
 * counts as an integer, as in JSON Schema. Reasons name the field, never
 * its value.
 */
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "decode_internal.h"

/* The member `name` of obj (borrowed), NULL when absent or null; obj may
 * be NULL. */
json_t *
decode_field(json_t *obj, const char *name)
{
	json_t *v = obj != NULL ? json_object_get(obj, name) : NULL;

	return v == NULL || json_is_null(v) ? NULL : v;
}

/* The field `name` of data into *v. Returns 1 when present, 0 when absent
 * and optional, -1 (reported) when absent and required. */
static int
data_field(struct dctx *c, json_t *data, const char *name, int required, json_t **v)
{
	if ((*v = decode_field(data, name)) != NULL)
		return 1;
	if (required)
		return decode_fail(c, DR_MISSING_FIELD, "data.%s: required field missing", name);
	return 0;
}

/*
 * A finite number in lo..hi. Absent: -1 with DR_MISSING_FIELD when
 * required, else 0 leaving *out alone. Returns 0 or -1.
 */
static int
get_number(struct dctx *c, json_t *data, const char *name, int required,
    double lo, double hi, double *out)
{
	json_t *v;
	int present;
	double x;

	if ((present = data_field(c, data, name, required, &v)) <= 0)
		return present;
	if (!json_is_number(v))
		return decode_fail(c, DR_BAD_TYPE, "data.%s: must be a number", name);
	x = json_number_value(v);
	if (!isfinite(x))
		return decode_fail(c, DR_OUT_OF_RANGE, "data.%s: must be finite", name);
	if (x < lo || x > hi) {
		if (isinf(hi))
			return decode_fail(c, DR_OUT_OF_RANGE, "data.%s: must be >= %g", name, lo);
		return decode_fail(c, DR_OUT_OF_RANGE,
		    "data.%s: out of range %g..%g", name, lo, hi);
	}
	*out = x;
	return 0;
}

/* An integer (or integral real) in lo..hi; like get_number(). */
static int
get_int(struct dctx *c, json_t *data, const char *name, int required,
    int lo, int hi, int *out)
{
	json_t *v;
	int present;
	json_int_t i;
	double x;

	if ((present = data_field(c, data, name, required, &v)) <= 0)
		return present;
	if (json_is_integer(v)) {
		i = json_integer_value(v);
		if (i < lo || i > hi)
			return decode_fail(c, DR_OUT_OF_RANGE,
			    "data.%s: out of range %d..%d", name, lo, hi);
		*out = (int)i;
		return 0;
	}
	if (!json_is_real(v))
		return decode_fail(c, DR_BAD_TYPE, "data.%s: must be an integer", name);
	x = json_real_value(v);
	if (!isfinite(x) || x != floor(x))
		return decode_fail(c, DR_BAD_TYPE, "data.%s: must be an integer", name);
	if (x < lo || x > hi)
		return decode_fail(c, DR_OUT_OF_RANGE,
		    "data.%s: out of range %d..%d", name, lo, hi);
	*out = (int)x;
	return 0;
}

/*
 * A string of 1..cap-1 bytes of CloudEvents text, copied to dst[cap].
 * Absent: like get_number(); dst is left alone (event_init made it "").
 */
static int
get_string(struct dctx *c, json_t *data, const char *name, int required,
    char *dst, size_t cap)
{
	json_t *v;
	int present;
	struct text t;

	if ((present = data_field(c, data, name, required, &v)) <= 0)
		return present;
	if (!json_is_string(v))
		return decode_fail(c, DR_BAD_TYPE, "data.%s: must be a string", name);
	t.p = json_string_value(v);
	t.n = json_string_length(v);
	if (t.n == 0)
		return decode_fail(c, DR_BAD_TYPE, "data.%s: must not be empty", name);
	if (t.n >= cap)
		return decode_fail(c, DR_TOO_LONG, "data.%s: longer than %zu bytes", name, cap - 1);
	if (!decode_text_ok(t.p, t.n))
		return decode_fail(c, DR_BAD_TYPE,
		    "data.%s: invalid UTF-8 or control characters", name);
	decode_text_copy(dst, cap, t);
	return 0;
}

/* An employee id field (manager_id). */
static int
get_employee_id(struct dctx *c, json_t *data, const char *name, int required,
    char *dst)
{
	json_t *v;
	int present;
	size_t n;

	if ((present = data_field(c, data, name, required, &v)) <= 0)
		return present;
	if (!json_is_string(v))
		return decode_fail(c, DR_BAD_TYPE, "data.%s: must be a string", name);
	n = json_string_length(v);
	if (n > EMPLOYEE_ID_MAX)
		return decode_fail(c, DR_TOO_LONG,
		    "data.%s: longer than %d bytes", name, EMPLOYEE_ID_MAX);
	if (!decode_valid_employee_id(json_string_value(v), n))
		return decode_fail(c, DR_BAD_ID, "data.%s: not a valid employee id", name);
	memcpy(dst, json_string_value(v), n);
	dst[n] = '\0';
	return 0;
}

/* One of names[0..count) -> *out (an index). */
static int
get_enum(struct dctx *c, json_t *data, const char *name,
    const char *const *names, int count, int *out)
{
	json_t *v = decode_field(data, name);
	int i;

	if (v == NULL)
		return decode_fail(c, DR_MISSING_FIELD, "data.%s: required field missing", name);
	if (!json_is_string(v))
		return decode_fail(c, DR_BAD_TYPE, "data.%s: must be a string", name);
	for (i = 0; i < count; i++) {
		if (strcmp(json_string_value(v), names[i]) == 0 &&
		    strlen(names[i]) == json_string_length(v)) {
			*out = i;
			return 0;
		}
	}
	return decode_fail(c, DR_OUT_OF_RANGE, "data.%s: not one of the allowed values", name);
}

/* `attributes`: object of name -> number | string, EVENT_ATTRS_MAX at most. */
static int
get_attrs(struct dctx *c, json_t *data, int required, struct hr_event *ev)
{
	json_t *obj = decode_field(data, "attributes"), *v;
	struct hr_attr *a;
	const char *key;
	size_t klen, vlen;
	void *it;

	if (obj == NULL) {
		if (required)
			return decode_fail(c, DR_MISSING_FIELD,
			    "data.attributes: required field missing");
		return 0;
	}
	if (!json_is_object(obj))
		return decode_fail(c, DR_BAD_TYPE, "data.attributes: must be an object");
	if (json_object_size(obj) > EVENT_ATTRS_MAX)
		return decode_fail(c, DR_OUT_OF_RANGE, "data.attributes: more than %d entries",
		    EVENT_ATTRS_MAX);
	for (it = json_object_iter(obj); it != NULL; it = json_object_iter_next(obj, it)) {
		key = json_object_iter_key(it);
		klen = json_object_iter_key_len(it);
		v = json_object_iter_value(it);
		if (klen == 0)
			return decode_fail(c, DR_BAD_TYPE, "data.attributes: empty name");
		if (klen >= EVENT_STR_MAX)
			return decode_fail(c, DR_TOO_LONG,
			    "data.attributes: name longer than %d bytes",
			    EVENT_STR_MAX - 1);
		if (!decode_text_ok(key, klen))
			return decode_fail(c, DR_BAD_TYPE,
			    "data.attributes: name with invalid UTF-8 or control characters");
		a = &ev->attrs[ev->nattrs];
		memset(a, 0, sizeof(*a));
		memcpy(a->name, key, klen);
		a->name[klen] = '\0';
		if (json_is_number(v)) {
			a->is_num = 1;
			a->num = json_number_value(v);
			if (!isfinite(a->num))
				return decode_fail(c, DR_OUT_OF_RANGE,
				    "data.attributes: value must be finite");
		} else if (json_is_string(v)) {
			vlen = json_string_length(v);
			if (vlen >= EVENT_STR_MAX)
				return decode_fail(c, DR_TOO_LONG,
				    "data.attributes: value longer than %d bytes", EVENT_STR_MAX - 1);
			if (!decode_text_ok(json_string_value(v), vlen))
				return decode_fail(c, DR_BAD_TYPE,
				    "data.attributes: value with invalid UTF-8 or control characters");
			memcpy(a->str, json_string_value(v), vlen);
			a->str[vlen] = '\0';
		} else
			return decode_fail(c, DR_BAD_TYPE,
			    "data.attributes: value must be a number or a string");
		ev->nattrs++;
	}
	return 0;
}

static const char *const comp_names[] = { "raise", "bonus", "equity" };
static const char *const care_names[] = {
	"mentoring", "wellness", "recognition", "flexible_work",
	"health_check", "team_activity", "other"
};

/* The data fields of ev->type (CONTRACT.md table) into *ev. data
 * (borrowed) may be NULL. Returns 0, or -1 with the reason in c. */
int
decode_data(struct dctx *c, json_t *data, struct hr_event *ev)
{
	int k;

	switch (ev->type) {
	case EV_HIRED:
		if (get_string(c, data, "department", 1, ev->department, sizeof(ev->department)) ||
		    get_int(c, data, "job_level", 1, 1, 15, &ev->job_level) ||
		    get_number(c, data, "salary", 1, 0, INFINITY, &ev->salary) ||
		    get_employee_id(c, data, "manager_id", 0, ev->manager_id) ||
		    get_string(c, data, "location", 0, ev->location, sizeof(ev->location)) ||
		    get_attrs(c, data, 0, ev))
			return -1;
		break;
	case EV_REVIEW:
		if (get_number(c, data, "rating", 1, 1, 5, &ev->rating) ||
		    get_number(c, data, "potential", 0, 1, 3, &ev->potential))
			return -1;
		break;
	case EV_SURVEY:
		if (get_number(c, data, "satisfaction", 1, 0, 100, &ev->satisfaction) ||
		    get_number(c, data, "engagement", 0, 0, 100, &ev->engagement) ||
		    get_number(c, data, "intent_to_stay", 0, 0, 100, &ev->intent_to_stay) ||
		    get_number(c, data, "work_life_balance", 0, 0, 100, &ev->work_life_balance))
			return -1;
		break;
	case EV_COMPENSATION:
		if (get_enum(c, data, "kind", comp_names, 3, &k) ||
		    get_number(c, data, "amount", 1, -INFINITY, INFINITY, &ev->amount) ||
		    get_number(c, data, "new_salary", 0, 0, INFINITY, &ev->new_salary))
			return -1;
		ev->comp_kind = (enum comp_kind)k;
		break;
	case EV_TRAINING:
		if (get_number(c, data, "hours", 1, 0, INFINITY, &ev->hours) ||
		    get_number(c, data, "cost", 0, 0, INFINITY, &ev->cost) ||
		    get_string(c, data, "skill", 0, ev->skill, sizeof(ev->skill)) ||
		    get_number(c, data, "assessment", 0, 0, 100, &ev->assessment))
			return -1;
		break;
	case EV_PROMOTION:
		if (get_int(c, data, "job_level", 1, 1, 15, &ev->job_level) ||
		    get_number(c, data, "new_salary", 0, 0, INFINITY, &ev->new_salary))
			return -1;
		break;
	case EV_CARE:
		if (get_enum(c, data, "kind", care_names, 7, &k) ||
		    get_number(c, data, "cost", 0, 0, INFINITY, &ev->cost))
			return -1;
		ev->care_kind = (enum care_kind)k;
		break;
	case EV_MANAGER:
		if (get_employee_id(c, data, "manager_id", 1, ev->manager_id))
			return -1;
		break;
	case EV_PROFILE:
		if (get_attrs(c, data, 1, ev))
			return -1;
		break;
	case EV_EXITED: {
		json_t *v = decode_field(data, "voluntary");

		if (v == NULL)
			return decode_fail(c, DR_MISSING_FIELD,
			    "data.voluntary: required field missing");
		if (!json_is_boolean(v))
			return decode_fail(c, DR_BAD_TYPE, "data.voluntary: must be true or false");
		ev->voluntary = json_is_true(v);
		if (get_string(c, data, "reason", 0, ev->reason, sizeof(ev->reason)))
			return -1;
		break;
	}
	case EV_ERASED:	/* nothing to read; extra fields are ignored */
	case EV__COUNT:
		break;
	}
	return 0;
}
