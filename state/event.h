/*
 * event.h: the typed HR event that every layer agrees on.
 *
 * pipeline/decode.c turns CloudEvents JSON into a struct hr_event; state/
 * applies it. The struct is fixed-size so that decoding needs no heap: one
 * lives on the caller's stack per message. Strings are NUL-terminated and
 * bounded; the decoder rejects (DLQ) anything longer than its field.
 * Optional numbers that were absent are NaN (see EV_ABSENT / ev_has()).
 */
#ifndef RETENTIOND_EVENT_H
#define RETENTIOND_EVENT_H

#include <math.h>
#include <stdint.h>

#define EMPLOYEE_ID_MAX   128   /* bytes, printable UTF-8 (CONTRACT.md) */
#define EVENT_ID_MAX      256   /* CloudEvents id */
#define EVENT_SOURCE_MAX  256   /* CloudEvents source */
#define EVENT_STR_MAX     64    /* department, location, skill, reason, attr names */
#define EVENT_ATTRS_MAX   64    /* attributes per event */

#define EV_ABSENT NAN
#define ev_has(x) (!isnan(x))

enum event_type {
	EV_HIRED,
	EV_REVIEW,
	EV_SURVEY,
	EV_COMPENSATION,
	EV_TRAINING,
	EV_PROMOTION,
	EV_CARE,
	EV_MANAGER,
	EV_PROFILE,
	EV_EXITED,
	EV_ERASED,
	EV__COUNT
};

enum comp_kind { COMP_RAISE, COMP_BONUS, COMP_EQUITY };

enum care_kind {
	CARE_MENTORING, CARE_WELLNESS, CARE_RECOGNITION, CARE_FLEXIBLE_WORK,
	CARE_HEALTH_CHECK, CARE_TEAM_ACTIVITY, CARE_OTHER
};

/* One `attributes` entry: a number, or a string (categorical). */
struct hr_attr {
	char	name[EVENT_STR_MAX];
	int	is_num;			/* 1: num is set; 0: str is set */
	double	num;
	char	str[EVENT_STR_MAX];
};

struct hr_event {
	enum event_type	type;
	char		id[EVENT_ID_MAX + 1];
	char		source[EVENT_SOURCE_MAX + 1];
	char		subject[EMPLOYEE_ID_MAX + 1];	/* employee id */
	int64_t		time_ms;		/* event time, ms since the epoch, UTC */

	/* hired */
	char		department[EVENT_STR_MAX];
	int		job_level;		/* hired, promotion; 0 when absent */
	double		salary;			/* yearly */
	char		manager_id[EMPLOYEE_ID_MAX + 1];	/* hired, manager.changed */
	char		location[EVENT_STR_MAX];
	/* review */
	double		rating;			/* 1..5 */
	double		potential;		/* 1..3 or NaN */
	/* survey (0..100, NaN when absent) */
	double		satisfaction;
	double		engagement;
	double		intent_to_stay;
	double		work_life_balance;
	/* compensation */
	enum comp_kind	comp_kind;
	double		amount;
	double		new_salary;		/* compensation, promotion; NaN if absent */
	/* training */
	double		hours;
	double		cost;			/* training, care; NaN if absent */
	double		assessment;		/* 0..100 or NaN */
	char		skill[EVENT_STR_MAX];
	/* care */
	enum care_kind	care_kind;
	/* exited */
	int		voluntary;
	char		reason[EVENT_STR_MAX];
	/* hired, profile.updated */
	struct hr_attr	attrs[EVENT_ATTRS_MAX];
	int		nattrs;
};

/* event.c */
const char	*event_type_name(enum event_type);	/* "hr.employee.hired", ... */
int		 event_type_parse(const char *, enum event_type *);
const char	*event_care_kind_name(enum care_kind);
void		 event_init(struct hr_event *);		/* zero, optionals to NaN */

#endif
