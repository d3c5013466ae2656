/*
 * Where the HTTP server listens: parsing "host:port", ":port" and
 * "[v6]:port", resolving the host, and binding a non-blocking listening
 * socket, dual-stack for all interfaces where the machine has IPv6; or
 * checking a listening socket the caller already has (from systemd's
 * socket activation, say).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_internal.h"
#include "internal.h"

/* Bytes of the host part of a listen address, with its NUL: a DNS name has
 * at most 253, an IPv6 literal with a zone far fewer. */
#define HOST_MAX 256
/* A port of at most 5 digits, and its NUL. */
#define PORT_MAX 6

/* Splits "host:port", ":port" or "[v6]:port". host is "" for all interfaces. */
static int parse_addr(const char *addr, char *host, size_t hcap, char *port, size_t pcap)
{
    if (!addr)
        return promc__fail(PROMC_EINVAL, "listen address is NULL");
    const char *colon;
    const char *h = addr;
    size_t hl;
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (!end || end[1] != ':')
            return promc__fail(PROMC_EINVAL, "invalid listen address \"%s\"", addr);
        h = addr + 1;
        hl = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || memchr(addr, ':', (size_t)(colon - addr)))
            return promc__fail(PROMC_EINVAL,
                               "invalid listen address \"%s\" (want host:port, :port or "
                               "[v6]:port)",
                               addr);
        hl = (size_t)(colon - addr);
    }
    const char *p = colon + 1;
    size_t pl = strlen(p);
    if (pl == 0 || pl > 5 || strspn(p, "0123456789") != pl || strtol(p, NULL, 10) > 65535)
        return promc__fail(PROMC_EINVAL, "invalid port in listen address \"%s\"", addr);
    if (hl >= hcap || pl >= pcap)
        return promc__fail(PROMC_EINVAL, "listen address \"%s\" too long", addr);
    memcpy(host, h, hl);
    host[hl] = '\0';
    memcpy(port, p, pl + 1);
    return PROMC_OK;
}

int promc__http_listen(const char *addr, int *port_out)
{
    char host[HOST_MAX], port[PORT_MAX];
    int rc = parse_addr(addr, host, sizeof host, port, sizeof port);
    if (rc != PROMC_OK)
        return -1;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                             .ai_family = AF_UNSPEC};
    struct addrinfo *res = NULL;
    /* All interfaces: prefer one dual-stack IPv6 socket, fall back to IPv4. */
    if (!host[0])
        hints.ai_family = AF_INET6;
    int gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (gai != 0 && !host[0]) {
        hints.ai_family = AF_INET;
        gai = getaddrinfo(NULL, port, &hints, &res);
    }
    if (gai != 0) {
        promc__fail(PROMC_EINVAL, "cannot resolve listen address \"%s\": %s", addr,
                    gai_strerror(gai));
        return -1;
    }
    int fd = -1, err = 0;
    for (int pass = 0; pass < 2 && fd < 0; pass++) {
        for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                err = errno;
                continue;
            }
            int one = 1, zero = 0;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (ai->ai_family == AF_INET6 && !host[0])
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
                err = errno;
                close(fd);
                fd = -1;
            }
        }
        if (fd < 0 && !host[0] && pass == 0) {
            /* No IPv6 on this machine: retry the wildcard over IPv4. */
            freeaddrinfo(res);
            res = NULL;
            hints.ai_family = AF_INET;
            if (getaddrinfo(NULL, port, &hints, &res) != 0)
                break;
        } else {
            break;
        }
    }
    if (res)
        freeaddrinfo(res);
    if (fd < 0) {
        promc__fail(PROMC_EIO, "cannot listen on \"%s\": %s", addr, strerror(err));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

int promc__http_check_listener(int fd, int *port_out)
{
    if (fd < 0)
        return promc__fail(PROMC_EINVAL, "listening socket fd %d is negative", fd);
    if (fcntl(fd, F_GETFD) < 0)
        return promc__fail(PROMC_EINVAL, "listening socket fd %d is not open", fd);
    int type = 0, listening = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
        return promc__fail(PROMC_EINVAL, "fd %d is not a socket: %s", fd, strerror(errno));
    if (type != SOCK_STREAM)
        return promc__fail(PROMC_EINVAL, "fd %d is not a stream socket (HTTP needs one)", fd);
    len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
        return promc__fail(PROMC_EINVAL, "socket fd %d is not listening (call listen() first)", fd);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return promc__fail(PROMC_EINVAL, "cannot read the address of socket fd %d: %s", fd,
                           strerror(errno));
    int flags = fcntl(fd, F_GETFL);
    /* The event loop accepts until EAGAIN: a blocking listener would stall it. */
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
        return promc__fail(PROMC_EINVAL, "cannot make socket fd %d non-blocking: %s", fd,
                           strerror(errno));
    if (ss.ss_family == AF_INET6)
        *port_out = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    else if (ss.ss_family == AF_INET)
        *port_out = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    else
        *port_out = 0;
    return PROMC_OK;
}
