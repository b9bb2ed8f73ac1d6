// Socket and file-descriptor helpers for the vfio-user server: the CMSG_* macros that pass
// file descriptors over AF_UNIX sockets are C macros Swift cannot call.
#ifndef CVFIOUSER_H
#define CVFIOUSER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// The most file descriptors one message may carry in either direction.
#define DBVU_MAX_FDS 16

/// Receives up to `length` bytes; file descriptors that arrive with them (SCM_RIGHTS) are stored
/// in `fds` (at most `max_fds`; any beyond that are closed) and counted in `*fd_count`.
/// Returns the byte count, 0 at end of stream, or -1 with errno set. MSG_CMSG_CLOEXEC is used.
ssize_t dbvu_receive(int socket, void *buffer, size_t length, int *fds, int max_fds, int *fd_count);

/// Sends `length` bytes with `fd_count` file descriptors attached (0 for none), all of it or
/// -1 with errno set. MSG_NOSIGNAL: a peer that went away is an error, not a signal.
ssize_t dbvu_send(int socket, const void *buffer, size_t length, const int *fds, int fd_count);

/// Adds 1 to an eventfd's counter. Returns 0, or -1 with errno set.
int dbvu_eventfd_signal(int fd);

/// A new eventfd (non-blocking, close-on-exec), or -1.
int dbvu_eventfd_create(void);

/// Reads and clears an eventfd's counter; 0 when nothing was signalled (or on error).
uint64_t dbvu_eventfd_drain(int fd);

/// A new anonymous memory file of `size` bytes (memfd_create), or -1.
int dbvu_memfd_create(const char *name, uint64_t size);

/// The size of the file behind `fd`, or -1.
int64_t dbvu_file_size(int fd);

/// A listening AF_UNIX stream socket at `path` (an existing file there is removed first),
/// close-on-exec, backlog 4. Returns the descriptor or -1 with errno set (ENAMETOOLONG for a path
/// that does not fit sun_path).
int dbvu_listen_unix(const char *path);

/// Connects to the AF_UNIX stream socket at `path`. Returns the descriptor or -1.
int dbvu_connect_unix(const char *path);

/// Accepts one connection (close-on-exec) and gives it receive and send timeouts of
/// `timeout_ms`, so a peer that stops in the middle of a message cannot stall the server.
/// Returns the descriptor or -1.
int dbvu_accept(int listener, int timeout_ms);

/// A connected AF_UNIX stream socket pair (close-on-exec). Returns 0 or -1.
int dbvu_socketpair(int fds[2]);

#endif
