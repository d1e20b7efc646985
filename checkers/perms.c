/*
 * perms: no IPC object a scenario creates is readable or writable beyond its
 * owner (or the mode the scenario declares), and none is created without
 * O_EXCL, where another user could have made it first and be sharing it.
 * Modes are read from the object as created, after the umask.
 */
#include "../harness/internal.h"

static bool perms_check(const ic_facts *f, ic_finding *out)
{
	bool found = false;
	for (unsigned i = 0; i < f->nobjects; i++) {
		unsigned extra = f->objects[i].mode & 0777 & ~f->allowed_mode;
		if (!extra && f->objects[i].excl)
			continue;
		if (!found)
			ic_finding_addf(out, "an IPC object is open to other users\n");
		found = true;
		if (extra)
			ic_finding_addf(out, "  %s has mode %04o: %s%s beyond the %04o allowed\n", f->objects[i].name,
					f->objects[i].mode, extra & 0070 ? (extra & 0007 ? "group and others " : "group ") : "others ",
					(extra & 0444) && (extra & 0222) ? "can read and write" : extra & 0444 ? "can read" : "can write",
					f->allowed_mode);
		if (!f->objects[i].excl)
			ic_finding_addf(out, "  %s was created without O_EXCL: another user could have made it first\n",
					f->objects[i].name);
	}
	return found;
}

const ic_checker ic_checker_perms = {
	.name = "perms",
	.summary = "no IPC object wider than its owner (or declared), none created without O_EXCL",
	.check = perms_check,
};
