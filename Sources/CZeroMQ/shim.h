// libzmq from Debian's libzmq3-dev (4.3.4, with CURVE). Wrapped in Sources/Transport only.
#include <zmq.h>
// eventfd: wakes a socket-owning thread's zmq_poll when another thread queues a send.
#include <sys/eventfd.h>
