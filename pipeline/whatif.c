/*
 * whatif.c: the body of POST /v1/employees/{id}/whatif (retentiond(8)) ->
 * the actions decide_whatif() scores. Bounds here keep the scoring finite:
 * amounts 0..1e9, promotions at most 5 levels, at most max actions.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "stages.h"

/*
 * Parses a what-if body, {"actions": [{"action": NAME, "amount": X}, ...]}
 * (CONTRACT.md; a bare array is not one), into out[0..max). body (len bytes) is borrowed; the
 * parse tree is gone on return. Returns the number of actions, or -1 with
 * a one-line reason in errbuf.
 */
int
whatif_parse_actions(const char *body, size_t len, struct action *out, int max,
    char *errbuf, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*root, *arr, *it;
	size_t		 i;
	int		 n = 0;

	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		snprintf(errbuf, errlen, "body is not JSON: %s", jerr.text);
		return -1;
	}
	arr = json_is_object(root) ? json_object_get(root, "actions") : NULL;
	if (!json_is_array(arr)) {
		snprintf(errbuf, errlen, "expected {\"actions\": [...]}");
		goto fail;
	}
	json_array_foreach(arr, i, it) {
		const char *name = json_string_value(json_object_get(it, "action"));
		json_t *amount = json_object_get(it, "amount");

		if (n == max) {
			snprintf(errbuf, errlen, "at most %d actions", max);
			goto fail;
		}
		memset(&out[n], 0, sizeof(out[n]));
		if (name == NULL || decide_action_parse(name, &out[n].kind) == -1) {
			snprintf(errbuf, errlen, "actions[%zu].action: expected one of "
			    "incentive, training, care, promotion", i);
			goto fail;
		}
		if (!json_is_number(amount) || !isfinite(json_number_value(amount)) ||
		    json_number_value(amount) < 0 || json_number_value(amount) > 1e9) {
			snprintf(errbuf, errlen, "actions[%zu].amount: expected a "
			    "number from 0 to 1000000000", i);
			goto fail;
		}
		out[n].amount = json_number_value(amount);
		if (out[n].kind == ACT_PROMOTION && out[n].amount > 5) {
			snprintf(errbuf, errlen, "actions[%zu].amount: at most 5 levels", i);
			goto fail;
		}
		n++;
	}
	json_decref(root);
	return n;
fail:
	json_decref(root);
	return -1;
}
