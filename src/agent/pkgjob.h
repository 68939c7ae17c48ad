/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
#include "pkgreq.h"

/* In the forked process: runs job, writes its answer to fd, exits. Never returns. */
_Noreturn void pkgjob_child(const struct pkgjob *job, int fd);
