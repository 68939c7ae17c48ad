/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include "invocation.h"

/* koompi search TEXT | info APP | list | install APP... | remove APP..., through the agent's
 * Search, Info, List, Install and Remove. Each returns koompi's exit code. */
int pkg_verb_search(struct invocation *inv);
int pkg_verb_info(struct invocation *inv);
int pkg_verb_list(struct invocation *inv);
int pkg_verb_install(struct invocation *inv);
int pkg_verb_remove(struct invocation *inv);
