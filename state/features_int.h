/*
 * features_int.h: the feature registry's inside, shared by features.c (the
 * registry) and features_io.c (its checkpoint bytes). Private to those two
 * files.
 */
#ifndef RETENTIOND_FEATURES_INT_H
#define RETENTIOND_FEATURES_INT_H

#include "model_internal.h"
#include "protname.h"
#include "table.h"

#define DEPT_MAX		PAY_DEPT_MAX	/* departments interned */
#define PROT_LEVELS_MAX		254	/* levels per protected name (uint8 - 1) */
#define FNAME_MAX		(2 * EVENT_STR_MAX)

enum builtin {
	F_SATISFACTION, F_ENGAGEMENT, F_INTENT, F_WLB, F_RATING,
	F_MONTHS_SINCE_RAISE, F_LAST_RAISE_PCT, F_RELATIVE_PAY,
	F_MONTHS_SINCE_PROMOTION, F_MONTHS_WITH_MANAGER, F_MANAGER_CHANGES,
	F_TRAINING_HOURS, F_ABILITY, F_CARE, F_BUILTIN
};

/* An attribute that owns feature slots. */
struct attr_def {
	int	is_num;
	int	nslots;
	int	slot[ATTR_FEATURES_MAX];	/* slot ids (numeric: slot[0]) */
	char	name[EVENT_STR_MAX];		/* as first seen */
};

struct features {
	int		 max_attr, max_levels;
	char		 builtin_key[F_BUILTIN][EVENT_STR_MAX];	/* normalised */
	/* attribute features */
	struct strtab	*attr_keys;		/* normalised name -> def index */
	struct attr_def	 defs[ATTR_FEATURES_MAX];
	int		 nslots;
	int		 slot_def[ATTR_FEATURES_MAX];
	int		 slot_onehot[ATTR_FEATURES_MAX];
	struct strtab	*slot_levels;		/* "key\x1flevel" -> id */
	int		 level_slot[ATTR_FEATURES_MAX];	/* that id -> slot */
	char		 fname[ATTR_FEATURES_MAX][FNAME_MAX];
	/* protected */
	char		 extra_key[PROTECTED_MAX][PNAME_MAX];	/* folded, glued */
	char		 extra_name[PROTECTED_MAX][EVENT_STR_MAX];
	int		 nextra;
	char		 prot_name[PROTECTED_MAX][EVENT_STR_MAX];
	struct strtab	*prot_levels[PROTECTED_MAX];
	int		 nprot;
	/* departments and pay */
	struct strtab	*depts;
	double		*pay_median;		/* PAY_CELLS; 0 unknown */
};

#endif
