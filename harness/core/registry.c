/*
 * registry.c: the tables of scenarios, injectors and checkers, generated from
 * each folder's list.h. A missing unit fails at link time.
 */
#include "internal.h"

#include <string.h>

#define X(n) extern const ic_scenario ic_scenario_##n;
#include "../../scenarios/list.h"
#undef X
#define X(n) extern const ic_scenario ic_race_scenario_##n;
#include "../../scenarios/list.h"
#undef X
#define X(n) extern const ic_injector ic_injector_##n;
#include "../../injectors/list.h"
#undef X
#define X(n) extern const ic_checker ic_checker_##n;
#include "../../checkers/list.h"
#undef X

const ic_scenario *const ic_builtin_scenarios[] = {
#define X(n) &ic_scenario_##n,
#include "../../scenarios/list.h"
#undef X
	NULL,
};

/* The same files compiled for --detect races (CMake renames each descriptor): in the same order. */
static const ic_scenario *const race_scenarios[] = {
#define X(n) &ic_race_scenario_##n,
#include "../../scenarios/list.h"
#undef X
	NULL,
};

const ic_scenario *ic_race_twin(const ic_scenario *sc)
{
	for (unsigned i = 0; ic_builtin_scenarios[i]; i++)
		if (ic_builtin_scenarios[i] == sc)
			return race_scenarios[i];
	return sc;
}

const ic_injector *const ic_injectors[] = {
#define X(n) &ic_injector_##n,
#include "../../injectors/list.h"
#undef X
	NULL,
};

const ic_checker *const ic_checkers[] = {
#define X(n) &ic_checker_##n,
#include "../../checkers/list.h"
#undef X
	NULL,
};

const ic_injector *ic_injector_find(const char *name)
{
	for (unsigned i = 0; ic_injectors[i]; i++)
		if (strcmp(ic_injectors[i]->name, name) == 0)
			return ic_injectors[i];
	return NULL;
}

const ic_checker *ic_checker_find(const char *name)
{
	for (unsigned i = 0; ic_checkers[i]; i++)
		if (strcmp(ic_checkers[i]->name, name) == 0)
			return ic_checkers[i];
	return NULL;
}
