// Shared between execsnoop.bpf.c and main.cpp: one record per exec.
#ifndef EXECSNOOP_H
#define EXECSNOOP_H

#define EXECSNOOP_TASK_COMM_LEN 16
#define EXECSNOOP_ARG_LEN 128   // bytes kept of each argument
#define EXECSNOOP_MAX_ARGS 20   // arguments kept, the filename included
#define EXECSNOOP_ARGS_BUF (EXECSNOOP_ARG_LEN * EXECSNOOP_MAX_ARGS)

struct exec_event {
  int pid;
  int ppid;
  unsigned int uid;
  int retval;
  int args_count;          // NUL-separated strings in args
  unsigned int args_size;  // bytes used in args
  int args_truncated;      // more arguments than EXECSNOOP_MAX_ARGS
  char comm[EXECSNOOP_TASK_COMM_LEN];
  char args[EXECSNOOP_ARGS_BUF];
};

#endif
