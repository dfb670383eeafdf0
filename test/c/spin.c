/*
 * A library that starts a thread which keeps running code of the library, as
 * librdkafka's threads do after a client is abandoned. Loaded by
 * test/fixtures/exit_with_threads.ts: Deno unloads FFI libraries at exit while
 * such a thread still runs, and the process dies with SIGSEGV
 * (docs/runtime-bugs.md); pinning the library (RTLD_NODELETE) avoids it.
 */
#include <pthread.h>
#include <unistd.h>

static volatile long counter;

static void *loop(void *arg) {
  (void)arg;
  for (;;) {
    counter++;
    usleep(100);
  }
  return 0;
}

int spin_start(void) {
  pthread_t t;
  return pthread_create(&t, 0, loop, 0);
}
