/*
 * event.c: names of event types and care kinds (CONTRACT.md), and the
 * initialiser of struct hr_event that marks every optional number absent.
 */
#include <string.h>

#include "event.h"

static const char *const type_names[EV__COUNT] = {
	[EV_HIRED]        = "hr.employee.hired",
	[EV_REVIEW]       = "hr.review.completed",
	[EV_SURVEY]       = "hr.survey.submitted",
	[EV_COMPENSATION] = "hr.compensation.changed",
	[EV_TRAINING]     = "hr.training.completed",
	[EV_PROMOTION]    = "hr.promotion.granted",
	[EV_CARE]         = "hr.care.provided",
	[EV_MANAGER]      = "hr.manager.changed",
	[EV_PROFILE]      = "hr.profile.updated",
	[EV_EXITED]       = "hr.employee.exited",
	[EV_ERASED]       = "hr.employee.erased",
};

static const char *const care_names[] = {
	[CARE_MENTORING]     = "mentoring",
	[CARE_WELLNESS]      = "wellness",
	[CARE_RECOGNITION]   = "recognition",
	[CARE_FLEXIBLE_WORK] = "flexible_work",
	[CARE_HEALTH_CHECK]  = "health_check",
	[CARE_TEAM_ACTIVITY] = "team_activity",
	[CARE_OTHER]         = "other",
};

/* Returns the CloudEvents type string of t (static), or NULL if t is invalid. */
const char *
event_type_name(enum event_type t)
{
	if ((int)t < 0 || t >= EV__COUNT)
		return NULL;
	return type_names[t];
}

/* Parses a CloudEvents type string into *out. Returns 0, or -1 if unknown. */
int
event_type_parse(const char *s, enum event_type *out)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < EV__COUNT; i++) {
		if (strcmp(s, type_names[i]) == 0) {
			*out = (enum event_type)i;
			return 0;
		}
	}
	return -1;
}

/* Returns the wire name of a care kind (static), or NULL if k is invalid. */
const char *
event_care_kind_name(enum care_kind k)
{
	if ((int)k < 0 || (size_t)k >= sizeof(care_names) / sizeof(care_names[0]))
		return NULL;
	return care_names[k];
}

/* Zeroes *ev and sets every optional number to EV_ABSENT (NaN). */
void
event_init(struct hr_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->salary = EV_ABSENT;
	ev->rating = EV_ABSENT;
	ev->potential = EV_ABSENT;
	ev->satisfaction = EV_ABSENT;
	ev->engagement = EV_ABSENT;
	ev->intent_to_stay = EV_ABSENT;
	ev->work_life_balance = EV_ABSENT;
	ev->amount = EV_ABSENT;
	ev->new_salary = EV_ABSENT;
	ev->hours = EV_ABSENT;
	ev->cost = EV_ABSENT;
	ev->assessment = EV_ABSENT;
}
