/*
 * ipcprog: a small program for the audit tests. It creates one object of
 * each kind (POSIX shm, named semaphore, mqueue, SysV shm, sem and message
 * queue, and a Unix socket file and a FIFO in DIR; the queue holds 5 bytes), then:
 *   leak  exits without removing anything
 *   clean removes everything and exits
 *   wait  waits up to 10 s, removing everything if it ends normally (so it
 *         leaks only when killed); SIGTERM ends it normally
 * usage: ipcprog leak|clean|wait DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

typedef struct objs {
	char shm[64], sem[64], mq[64], sock[100], fifo[256];
	int shm_id, sem_id, msg_id, sock_fd;
} objs;

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int create(objs *o, const char *dir)
{
	int pid = (int)getpid();
	snprintf(o->shm, sizeof(o->shm), "/ipcprog.%d.shm", pid);
	snprintf(o->sem, sizeof(o->sem), "/ipcprog.%d.sem", pid);
	snprintf(o->mq, sizeof(o->mq), "/ipcprog.%d.mq", pid);
	snprintf(o->sock, sizeof(o->sock), "%.60s/ipcprog.%d.sock", dir, pid);
	snprintf(o->fifo, sizeof(o->fifo), "%s/ipcprog.%d.fifo", dir, pid);
	int fd = shm_open(o->shm, O_CREAT | O_EXCL | O_RDWR, 0600);
	if (fd < 0 || ftruncate(fd, 4096) != 0)
		return -1;
	close(fd);
	sem_t *s = sem_open(o->sem, O_CREAT | O_EXCL, 0600, 1);
	if (s == SEM_FAILED)
		return -1;
	sem_close(s);
	struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 64};
	mqd_t q = mq_open(o->mq, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	/* 5 bytes queued: the audit reports a queue's size as what it holds (QSIZE). */
	if (q == (mqd_t)-1 || mq_send(q, "hello", 5, 0) != 0)
		return -1;
	mq_close(q);
	o->shm_id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	o->sem_id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	o->msg_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (o->shm_id < 0 || o->sem_id < 0 || o->msg_id < 0)
		return -1;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", o->sock);
	o->sock_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (o->sock_fd < 0 || bind(o->sock_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		return -1;
	return mkfifo(o->fifo, 0600);
}

static void destroy(const objs *o)
{
	shm_unlink(o->shm);
	sem_unlink(o->sem);
	mq_unlink(o->mq);
	shmctl(o->shm_id, IPC_RMID, NULL);
	semctl(o->sem_id, 0, IPC_RMID);
	msgctl(o->msg_id, IPC_RMID, NULL);
	close(o->sock_fd);
	unlink(o->sock);
	unlink(o->fifo);
}

int main(int argc, char **argv)
{
	objs o;
	if (argc != 3 || (strcmp(argv[1], "leak") && strcmp(argv[1], "clean") && strcmp(argv[1], "wait"))) {
		fprintf(stderr, "usage: ipcprog leak|clean|wait DIR\n");
		return 2;
	}
	signal(SIGTERM, on_term);
	if (create(&o, argv[2]) != 0) {
		perror("ipcprog: create");
		return 1;
	}
	if (strcmp(argv[1], "leak") == 0)
		return 0;
	for (int i = 0; strcmp(argv[1], "wait") == 0 && i < 1000 && !stop; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	destroy(&o);
	return 0;
}
