/*
 * apply.c: the effect of one HR event on one employee record (the
 * 12-month windows it feeds are in window.c).
 *
 * Event time decides: a late event still lands in its windows at its own
 * time, and each "latest" field (survey, review, ability, salary, job
 * level, manager) only takes a value whose time is at least that of the
 * value it replaces. Nothing here allocates: a record is fixed-size and
 * the feature registry is preallocated.
 *
 * Rejected (-1, record untouched): an exit of an employee who has already
 * exited, a hire of an employee already hired (a rehire is accepted when
 * it is dated after the exit), and events missing the field that defines
 * them (the decoder rejects those first; this is a second line).
 * hr.employee.erased is a no-op here: the caller calls table_erase().
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "table.h"

static uint64_t
manager_hash(const char *id)
{
	size_t len = strnlen(id, EMPLOYEE_ID_MAX + 1);
	uint64_t h;

	if (len == 0)
		return 0;
	h = table_hash_mix(table_hash_bytes(TABLE_HASH_INIT, id, len));
	return h == 0 ? 1 : h;
}

static int
fail(char *errbuf, size_t errlen, const char *why)
{
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s", why);
	return -1;
}

/* Time of the salary in force: the latest event that could have set it. */
static int64_t
salary_time(const struct employee *e)
{
	int64_t t = e->hired_ms;

	if (e->last_raise_ms > t)
		t = e->last_raise_ms;
	if (e->last_promotion_ms > t)
		t = e->last_promotion_ms;
	return t;
}

static void
apply_hired(struct features *f, struct employee *e, const struct hr_event *ev)
{
	int64_t t = ev->time_ms;
	uint64_t mh;

	if (e->flags & EMP_EXITED && !(e->flags & EMP_PROVISIONAL)) {
		/* rehire after an exit */
		e->flags &= ~(uint32_t)(EMP_EXITED | EMP_VOLUNTARY);
		e->exit_ms = 0;
		if (e->last_raise_ms < t) {
			e->last_raise_ms = 0;
			e->last_raise_pct = 0;
		}
	}
	/* a provisional record may hold newer values from later events */
	if (e->job_level == 0 || e->last_promotion_ms <= t)
		e->job_level = ev->job_level;
	if (ev_has(ev->salary) && (e->salary <= 0 || salary_time(e) <= t))
		e->salary = ev->salary;
	e->flags &= ~(uint32_t)EMP_PROVISIONAL;
	e->hired_ms = t;
	e->dept = ev->department[0] != '\0' ?
	    strtab_intern(features_departments(f), ev->department) : -1;
	if ((mh = manager_hash(ev->manager_id)) != 0 &&
	    (e->manager == 0 || e->manager_since_ms <= t)) {
		e->manager = mh;
		e->manager_since_ms = t;
	}
	if (e->last_promotion_ms < t)
		e->last_promotion_ms = t;
	features_set_attrs(f, e, ev->attrs, ev->nattrs, t);
	features_note_salary(f, e->dept, e->job_level, e->salary);
}

/* The salary in force just before a compensation event; 0 if unknown. */
static double
salary_before(const struct employee *e, const struct hr_event *ev, double amount)
{
	if (e->salary > 0)
		return e->salary;
	if (ev->comp_kind == COMP_RAISE && ev_has(ev->new_salary) &&
	    ev->new_salary - amount > 0)
		return ev->new_salary - amount;
	return 0;
}

static int
apply_compensation(struct features *f, struct employee *e,
    const struct hr_event *ev, char *errbuf, size_t errlen)
{
	int64_t t = ev->time_ms;
	double amount = ev->amount, before, pct = NAN, ns;

	if (!ev_has(amount)) {
		if (ev->comp_kind == COMP_RAISE && ev_has(ev->new_salary) &&
		    e->salary > 0)
			amount = ev->new_salary - e->salary;
		else
			return fail(errbuf, errlen, "compensation without amount");
	}
	/* A late raise is taken against the current salary: the salary
	 * history is not kept, and the error is the raises in between. */
	if ((before = salary_before(e, ev, amount)) > 0) {
		pct = 100.0 * amount / before;
		window_add(&e->incentive, t, pct);
	}
	if (ev->comp_kind != COMP_RAISE || t < salary_time(e))
		return 0;
	ns = ev_has(ev->new_salary) ? ev->new_salary :
	    e->salary > 0 ? e->salary + amount : 0;
	if (ns > 0) {
		e->salary = ns;
		features_note_salary(f, e->dept, e->job_level, ns);
	}
	e->last_raise_ms = t;
	e->last_raise_pct = pct;
	return 0;
}

static void
apply_manager(struct employee *e, const struct hr_event *ev)
{
	uint64_t mh = manager_hash(ev->manager_id);
	int64_t t = ev->time_ms;

	if (mh == e->manager) {
		if (t < e->manager_since_ms)
			e->manager_since_ms = t;	/* same manager, earlier */
		return;
	}
	/* A first assignment (no manager known) is not a change. */
	if (e->manager != 0)
		window_add(&e->manager_changes, t, 1);
	if (e->manager == 0 || t >= e->manager_since_ms) {
		e->manager = mh;
		e->manager_since_ms = t;
	}
}

/* Applies ev to e (see the file comment). Returns 0, or -1 with the reason
 * in errbuf (caller-owned) when ev cannot apply; e is then unchanged. */
int
state_apply(struct features *f, struct employee *e, const struct hr_event *ev,
    char *errbuf, size_t errlen)
{
	int64_t t = ev->time_ms;

	switch (ev->type) {
	case EV_HIRED:
		if (!(e->flags & EMP_PROVISIONAL) &&
		    !(e->flags & EMP_EXITED && t > e->exit_ms))
			return fail(errbuf, errlen, "employee already hired");
		apply_hired(f, e, ev);
		break;
	case EV_REVIEW:
		if (!ev_has(ev->rating))
			return fail(errbuf, errlen, "review without rating");
		if (!(e->flags & EMP_HAS_REVIEW) || t >= e->review_ms) {
			e->rating = ev->rating;
			e->potential = ev->potential;
			e->review_ms = t;
			e->flags |= EMP_HAS_REVIEW;
		}
		break;
	case EV_SURVEY:
		if (!ev_has(ev->satisfaction))
			return fail(errbuf, errlen, "survey without satisfaction");
		if (!(e->flags & EMP_HAS_SURVEY) || t >= e->survey_ms) {
			e->satisfaction = ev->satisfaction;
			e->engagement = ev->engagement;
			e->intent_to_stay = ev->intent_to_stay;
			e->work_life_balance = ev->work_life_balance;
			e->survey_ms = t;
			e->flags |= EMP_HAS_SURVEY;
		}
		break;
	case EV_COMPENSATION:
		if (apply_compensation(f, e, ev, errbuf, errlen) == -1)
			return -1;
		break;
	case EV_TRAINING:
		if (!ev_has(ev->hours))
			return fail(errbuf, errlen, "training without hours");
		window_add(&e->training, t, ev->hours);
		if (ev_has(ev->assessment) &&
		    (!(e->flags & EMP_HAS_ABILITY) || t >= e->ability_ms)) {
			e->ability = ev->assessment;
			e->ability_ms = t;
			e->flags |= EMP_HAS_ABILITY;
		}
		break;
	case EV_PROMOTION:
		if (t >= e->last_promotion_ms) {
			if (ev->job_level > 0)
				e->job_level = ev->job_level;
			if (ev_has(ev->new_salary) && ev->new_salary > 0)
				e->salary = ev->new_salary;
			e->last_promotion_ms = t;
			features_note_salary(f, e->dept, e->job_level, e->salary);
		}
		break;
	case EV_CARE:
		window_add(&e->care, t, 1);
		break;
	case EV_MANAGER:
		if (ev->manager_id[0] == '\0')
			return fail(errbuf, errlen, "manager change without manager_id");
		apply_manager(e, ev);
		break;
	case EV_PROFILE:
		features_set_attrs(f, e, ev->attrs, ev->nattrs, t);
		break;
	case EV_EXITED:
		if (e->flags & EMP_EXITED)
			return fail(errbuf, errlen, "employee already exited");
		e->flags |= EMP_EXITED;
		if (ev->voluntary)
			e->flags |= EMP_VOLUNTARY;
		e->exit_ms = t;
		break;
	case EV_ERASED:
		return 0;	/* the caller erases the record */
	case EV__COUNT:
	default:
		return fail(errbuf, errlen, "unknown event type");
	}
	if (t > e->last_event_ms)
		e->last_event_ms = t;
	return 0;
}
