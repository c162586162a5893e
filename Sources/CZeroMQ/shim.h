// libzmq from Debian's libzmq3-dev (4.3.4, with CURVE). Wrapped in Sources/Transport only.
#include <zmq.h>
