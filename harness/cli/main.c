/* The ipchaos executable: the command line over the built-in scenarios. */
#include "ipchaos.h"

int main(int argc, char **argv)
{
	return ic_main(argc, argv, NULL);
}
