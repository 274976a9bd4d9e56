/*
 * mado-testenv COMMAND [ARGS...]: starts a throwaway PostgreSQL and mado, runs COMMAND with
 * MADOTEST_URL (https://127.0.0.1:PORT) and MADOTEST_CA (the server certificate) in its
 * environment, stops everything and exits with COMMAND's status.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

int
main(int argc, char **argv)
{
	struct th_env e;
	pid_t pid;
	int st = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: mado-testenv COMMAND [ARGS...]\n");
		return 2;
	}
	if (th_setup(&e, NULL) != 0) {
		th_teardown(&e);
		return 1;
	}
	setenv("MADOTEST_URL", e.url, 1);
	setenv("MADOTEST_CA", e.ca, 1);
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execvp(argv[1], argv + 1);
		perror("mado-testenv: exec");
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid)
		st = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	else
		st = 1;
	th_teardown(&e);
	return st;
}
