/*
 * apply.c: one HR event on the state: state_apply() changes one employee
 * record (the 12-month windows it feeds are in window.c) and the model's
 * statistics together; state_erase() removes a record from both.
 *
 * All or nothing. refusal() checks every reason to refuse an event before
 * anything is written; only an event that passes reaches the model's first
 * half (model_pre_apply(): the exposure interval up to the event closes
 * with the record's covariates as they were), the record change (change())
 * and the model's second half (model_post_apply(): RLS updates, quality at
 * an exit). The model's halves are internal to this call, and what passes
 * from the first to the second lives on this call's stack.
 *
 * Refused (-1, record and model untouched): an exit of an employee who has
 * already exited, a hire of an employee already hired (a rehire is
 * accepted when it is dated after the exit), events missing the field that
 * defines them (the decoder rejects those first; this is a second line),
 * and an unknown type. hr.employee.erased is not applied here: see
 * state_erase().
 *
 * Event time decides: a late event still lands in its windows at its own
 * time, and each "latest" field (survey, review, ability, salary, job
 * level, manager) only takes a value whose time is at least that of the
 * value it replaces. Nothing here allocates but the first salary a shard
 * sees for a (department, job level) (its pay histogram, pay.c): a record
 * is fixed-size and the feature registry and the model are preallocated.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model_internal.h"

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
	int64_t t = emp_ms(e->hired_s);

	if (emp_ms(e->last_raise_s) > t)
		t = emp_ms(e->last_raise_s);
	if (emp_ms(e->last_promotion_s) > t)
		t = emp_ms(e->last_promotion_s);
	return t;
}

static void
apply_hired(struct model *m, struct employee *e, const struct hr_event *ev)
{
	struct features *f = model_features(m);
	int64_t t = emp_time(ev->time_ms);
	uint64_t mh;

	if (e->flags & EMP_EXITED && !(e->flags & EMP_PROVISIONAL)) {
		/* rehire after an exit */
		e->flags &= ~(uint32_t)(EMP_EXITED | EMP_VOLUNTARY);
		e->exit_s = 0;
		if (emp_ms(e->last_raise_s) < t) {
			e->last_raise_s = 0;
			e->last_raise_pct = 0;
		}
	}
	/* a provisional record may hold newer values from later events */
	if (e->job_level == 0 || emp_ms(e->last_promotion_s) <= t)
		e->job_level = ev->job_level;
	if (ev_has(ev->salary) && (e->salary <= 0 || salary_time(e) <= t))
		e->salary = ev->salary;
	e->flags &= ~(uint32_t)EMP_PROVISIONAL;
	e->hired_s = emp_s(t);
	e->dept = ev->department[0] != '\0' ?
	    strtab_intern(features_departments(f), ev->department) : -1;
	if ((mh = manager_hash(ev->manager_id)) != 0 &&
	    (e->manager == 0 || emp_ms(e->manager_since_s) <= t)) {
		e->manager = mh;
		e->manager_since_s = emp_s(t);
	}
	if (emp_ms(e->last_promotion_s) < t)
		e->last_promotion_s = emp_s(t);
	features_set_attrs(f, e, ev->attrs, ev->nattrs, t);
	model_note_salary(m, e->dept, e->job_level, e->salary);
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

/* The amount of a compensation event: given, or for a raise that gives
 * only new_salary, its difference to the salary in force. Returns 0, or
 * -1 when neither is known. */
static int
comp_amount(const struct employee *e, const struct hr_event *ev, double *amount)
{
	if (ev_has(ev->amount)) {
		*amount = ev->amount;
		return 0;
	}
	if (ev->comp_kind == COMP_RAISE && ev_has(ev->new_salary) && e->salary > 0) {
		*amount = ev->new_salary - e->salary;
		return 0;
	}
	return -1;
}

/* A compensation event that passed refusal(), so its amount is known. */
static void
apply_compensation(struct model *m, struct employee *e,
    const struct hr_event *ev)
{
	int64_t t = emp_time(ev->time_ms);
	double amount = 0, before, pct = NAN, ns;

	(void)comp_amount(e, ev, &amount);
	/* A late raise is taken against the current salary: the salary
	 * history is not kept, and the error is the raises in between. */
	if ((before = salary_before(e, ev, amount)) > 0) {
		pct = 100.0 * amount / before;
		window_add(&e->incentive, t, pct);
	}
	if (ev->comp_kind != COMP_RAISE || t < salary_time(e))
		return;
	ns = ev_has(ev->new_salary) ? ev->new_salary :
	    e->salary > 0 ? e->salary + amount : 0;
	if (ns > 0) {
		e->salary = ns;
		model_note_salary(m, e->dept, e->job_level, ns);
	}
	e->last_raise_s = emp_s(t);
	e->last_raise_pct = pct;
}

static void
apply_manager(struct employee *e, const struct hr_event *ev)
{
	uint64_t mh = manager_hash(ev->manager_id);
	int64_t t = emp_time(ev->time_ms);

	if (mh == e->manager) {
		if (t < emp_ms(e->manager_since_s))
			e->manager_since_s = emp_s(t);	/* same manager, earlier */
		return;
	}
	/* A first assignment (no manager known) is not a change. */
	if (e->manager != 0)
		window_add(&e->manager_changes, t, 1);
	if (e->manager == 0 || t >= emp_ms(e->manager_since_s)) {
		e->manager = mh;
		e->manager_since_s = emp_s(t);
	}
}

/* Every reason to refuse ev on e, checked before anything is written.
 * Returns 0 when ev applies, else -1 with the reason in errbuf. */
static int
refusal(const struct employee *e, const struct hr_event *ev, char *errbuf,
    size_t errlen)
{
	double amount;

	switch (ev->type) {
	case EV_HIRED:
		if (!(e->flags & EMP_PROVISIONAL) &&
		    !(e->flags & EMP_EXITED && emp_time(ev->time_ms) > emp_ms(e->exit_s)))
			return fail(errbuf, errlen, "employee already hired");
		return 0;
	case EV_REVIEW:
		return ev_has(ev->rating) ? 0 :
		    fail(errbuf, errlen, "review without rating");
	case EV_SURVEY:
		return ev_has(ev->satisfaction) ? 0 :
		    fail(errbuf, errlen, "survey without satisfaction");
	case EV_COMPENSATION:
		return comp_amount(e, ev, &amount) == 0 ? 0 :
		    fail(errbuf, errlen, "compensation without amount");
	case EV_TRAINING:
		return ev_has(ev->hours) ? 0 :
		    fail(errbuf, errlen, "training without hours");
	case EV_MANAGER:
		return ev->manager_id[0] != '\0' ? 0 :
		    fail(errbuf, errlen, "manager change without manager_id");
	case EV_EXITED:
		return !(e->flags & EMP_EXITED) ? 0 :
		    fail(errbuf, errlen, "employee already exited");
	case EV_PROMOTION:
	case EV_CARE:
	case EV_PROFILE:
	case EV_ERASED:
		return 0;
	case EV__COUNT:
	default:
		return fail(errbuf, errlen, "unknown event type");
	}
}

/* The record's part of an event that passed refusal(). */
static void
change(struct model *m, struct employee *e, const struct hr_event *ev)
{
	struct features *f = model_features(m);
	int64_t t = emp_time(ev->time_ms);

	switch (ev->type) {
	case EV_HIRED:
		apply_hired(m, e, ev);
		break;
	case EV_REVIEW:
		if (!(e->flags & EMP_HAS_REVIEW) || t >= emp_ms(e->review_s)) {
			e->rating = ev->rating;
			e->potential = ev->potential;
			e->review_s = emp_s(t);
			e->flags |= EMP_HAS_REVIEW;
		}
		break;
	case EV_SURVEY:
		if (!(e->flags & EMP_HAS_SURVEY) || t >= emp_ms(e->survey_s)) {
			e->satisfaction = ev->satisfaction;
			e->engagement = ev->engagement;
			e->intent_to_stay = ev->intent_to_stay;
			e->work_life_balance = ev->work_life_balance;
			e->survey_s = emp_s(t);
			e->flags |= EMP_HAS_SURVEY;
		}
		break;
	case EV_COMPENSATION:
		apply_compensation(m, e, ev);
		break;
	case EV_TRAINING:
		window_add(&e->training, t, ev->hours);
		if (ev_has(ev->assessment) &&
		    (!(e->flags & EMP_HAS_ABILITY) || t >= emp_ms(e->ability_s))) {
			e->ability = ev->assessment;
			e->ability_s = emp_s(t);
			e->flags |= EMP_HAS_ABILITY;
		}
		break;
	case EV_PROMOTION:
		if (t >= emp_ms(e->last_promotion_s)) {
			if (ev->job_level > 0)
				e->job_level = ev->job_level;
			if (ev_has(ev->new_salary) && ev->new_salary > 0)
				e->salary = ev->new_salary;
			e->last_promotion_s = emp_s(t);
			model_note_salary(m, e->dept, e->job_level, e->salary);
		}
		break;
	case EV_CARE:
		window_add(&e->care, t, 1);
		break;
	case EV_MANAGER:
		apply_manager(e, ev);
		break;
	case EV_PROFILE:
		features_set_attrs(f, e, ev->attrs, ev->nattrs, t);
		break;
	case EV_EXITED:
		e->flags |= EMP_EXITED;
		if (ev->voluntary)
			e->flags |= EMP_VOLUNTARY;
		e->exit_s = emp_s(t);
		break;
	case EV_ERASED:
	case EV__COUNT:
	default:
		return;		/* refusal() and state_apply() keep these out */
	}
	if (t > emp_ms(e->last_event_s))
		e->last_event_s = emp_s(t);
}

/* See model.h and the file comment. */
int
state_apply(struct model *m, struct employee *e, const struct hr_event *ev,
    char *errbuf, size_t errlen)
{
	struct model_prev prev;

	if (refusal(e, ev, errbuf, errlen) == -1)
		return -1;
	if (ev->type == EV_ERASED)
		return 0;	/* state_erase() */
	model_pre_apply(m, e, ev, &prev);
	change(m, e, ev);
	model_post_apply(m, e, ev, &prev);
	return 0;
}

/* See model.h: the model first, while the record still says what it
 * contributed; then the table wipes the record's memory. */
int
state_erase(struct model *m, struct table *t, const char *id)
{
	struct employee *e = table_get(t, id);

	if (e == NULL)
		return 0;
	model_forget(m, e);
	return table_erase(t, id);
}
