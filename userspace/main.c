// SPDX-License-Identifier: GPL-2.0
/*
 * main() lives alone so that the unit tests can link everything else and
 * drive mmlens_main() themselves.
 */
#include "mmlens.h"

int main(int argc, char **argv)
{
	return mmlens_main(argc, argv);
}
