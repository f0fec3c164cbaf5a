/*
 * daemon.h: the part of retentiond that touches the outside world.
 *
 * One section per file, listing what it exports. Only daemon/ logs, exits,
 * reads files, talks to Kafka, systemd and HTTP clients.
 */
#ifndef RETENTIOND_DAEMON_H
#define RETENTIOND_DAEMON_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../pipeline/pipeline.h"

#ifndef RETENTIOND_VERSION
#define RETENTIOND_VERSION "0.1.0"
#endif

#define EXIT_CONFIG 6		/* invalid configuration (LSB "not configured") */

#define CONFIG_KAFKA_MAX 64
#define CONFIG_STR_MAX   1024

struct config_kv {
	char	key[128];
	char	value[CONFIG_STR_MAX];
	int	line;
};

struct config {
	char			path[PATH_MAX];
	struct config_kv	kafka[CONFIG_KAFKA_MAX];	/* [kafka], verbatim */
	int			nkafka;
	char			topic_input[256], topic_alerts[256],
				topic_suggestions[256], topic_estimates[256],
				topic_dlq[256];
	char			topic_repartition[256];	/* "": <input>.repartition */
	char			topic_stats[256];	/* "": retentiond.stats */
	char			topic_candidates[256];	/* "": retentiond.candidates */
	char			topic_checkpoints[256];	/* "": images not published */
	int			partitioner;	/* [input] partitioner: PARTITIONER_* */
	char			state_directory[PATH_MAX];
	int			checkpoint_events;	/* messages, at most between two */
	int			checkpoint_seconds;	/* and at most this long */
	char			erasure_key_file[PATH_MAX];	/* "" <state>/erasure.key */
	struct pipeline_config	pipeline;
	char			http_listen[256];	/* "" disables */
	char			http_token_file[PATH_MAX];	/* bearer token */
	int			http_allow_remote;	/* non-loopback without token */
	int			idle_seconds;	/* a silent caught-up partition
						 * counts as past a boundary */
	int			ignored;	/* deprecated keys land here */
	int			legacy_min_exits;	/* [alerts] min_exits; -1 unset */
	int			ready_max_lag;		/* messages, for /readyz */
	int			http_max_connections;	/* in all */
	int			http_max_per_address;	/* per client address */
	int			http_request_timeout_s;	/* open to answered, per request */
	int			log_level;		/* syslog priority, default LOG_INFO */
	char			extra_protected_buf[PROTECTED_MAX][64];
};

/* config.c */
void	config_defaults(struct config *);
/* Loads path over the defaults. Returns 0, or -1 with "file:line: reason". */
int	config_load(const char *path, struct config *, char *errbuf, size_t errlen);
/* Checks what only makes sense once all keys are read (cross-key rules, the
 * token file); the [kafka] keys are kafka_check_config()'s. 0 or -1 with
 * "file:line: reason". */
int	config_validate(const struct config *, char *errbuf, size_t errlen);
const char *config_kafka_get(const struct config *, const char *key);	/* NULL if unset */
int	config_kafka_set(struct config *, const char *key, const char *value);
/* config_load() over an open stream (fuzzing, tests); name is for messages. */
int	config_load_fp(FILE *, const char *name, struct config *, char *errbuf,
	    size_t errlen);
/* struct config points into itself: copy it with this, not memcpy. */
void	config_copy(struct config *dst, const struct config *src);

/* config_keys.c: the table of keys ([kafka] aside) and their setters. */
#define CONFIG_KEYS_MAX 64			/* rows of the table, at most */
int	config_key_index(const char *section, const char *name);	/* -1 none */
int	config_section_known(const char *section);	/* has a row */
/* Parses value into row i's field. 0, or -1 with reason (no file:line). */
int	config_key_set(struct config *, int i, const char *value, char *reason,
	    size_t rlen);
/* A [kafka] value with @credential:NAME, @file:/PATH and
 * ${CREDENTIALS_DIRECTORY} resolved. 0, or -1 with a reason that never
 * shows the value. */
int	config_kafka_resolve(const char *value, char *out, size_t outlen,
	    char *reason, size_t rlen);
/* Reload: 1 if row i differs between two configurations; copying one row. */
int	config_key_differs(const struct config *, const struct config *, int i);
void	config_key_copy(struct config *dst, const struct config *src, int i);
/* Points the pipeline's extra protected names at cfg's own buffers. */
void	config_fix_pointers(struct config *);
/* "HOST:PORT" (IPv4, [IPv6] or localhost; port 0..65535) -> host without
 * brackets and port. 0, or -1 if malformed. */
int	config_parse_listen(const char *listen, char *host, size_t hostlen, int *port);

/* secrets.c: the one rule for every file that holds a secret. */
struct stat;
int	config_secret_key(const char *key);	/* [kafka] value is a secret */
int	config_secret_file_key(const char *key);	/* names a secret file */
/* A regular file without group or other permission bits. 0, or -1 with a
 * reason that starts with path. */
int	secret_file_private(const char *path, const struct stat *, char *reason,
	    size_t rlen);

/* log.c: stderr with <N> priority prefixes for journald, or the journal's
 * native protocol when stderr is the journal; no personal data. */
struct log_field {			/* a journal field of one record */
	const char	*name;		/* upper case: CONFIG_FILE, KAFKA_TOPIC */
	const char	*value;		/* NULL: left out */
};
void	log_init(int level, int to_tty);
void	log_set_level(int level);
void	log_msg(int pri, const char *, ...) __attribute__((format(printf, 2, 3)));
void	log_fields(int pri, const struct log_field *, size_t nfields,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
/* With KAFKA_TOPIC and KAFKA_PARTITION. */
void	log_partition(int pri, const char *topic, int32_t partition,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));	/* + strerror(errno) */
/* Rate-limited warning: at most one per key per 10 s, with a suppressed count. */
void	log_warn_limited(const char *key, const char *, ...) __attribute__((format(printf, 2, 3)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Logs at LOG_ERR with fields and exits EXIT_CONFIG. */
void	fatalx_config(const struct log_field *, size_t nfields, const char *, ...)
	    __attribute__((format(printf, 3, 4), noreturn));
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
char	*xstrdup(const char *);

/* journal.c: libsystemd's sd_journal_sendv, for log.c. */
int	journal_stream_is(int fd);	/* fd is $JOURNAL_STREAM's stream */
int	journal_send(int pri, const char *msg, const struct log_field *,
	    size_t nfields);		/* 0, or -1: write the line instead */

/* notify.c: libsystemd's sd_notify, a no-op without NOTIFY_SOCKET. */
void	notify_ready(void);
void	notify_reloading(void);
void	notify_stopping(void);
void	notify_status(const char *, ...) __attribute__((format(printf, 1, 2)));
void	notify_watchdog(void);			/* rate-limited to half the interval */
int	notify_watchdog_enabled(void);
/* A listening socket passed by systemd (socket activation), or -1. */
int	notify_listen_fd(void);

/* metrics.c: counters the daemon itself owns, and the /metrics rendering. */
#define DELIVERY_SLOW_MS	500	/* a slower acknowledgement is warned of */
struct daemon_metrics {
	uint64_t	consumed, produced, delivery_failed;
	uint64_t	dlq_truncated;			/* DLQ records cut to fit */
	uint64_t	outputs_refused;		/* outputs rerouted to the DLQ */
	uint64_t	commits, commit_failed;
	uint64_t	repartitioned;			/* inputs sent to their partition */
	uint64_t	repartition_consumed;		/* and read back by their owner */
	int64_t		consumer_lag;			/* gauge, -1 unknown */
	int64_t		held_messages;			/* gauge: the epoch gate's */
	int		kafka_up;			/* gauge: brokers reachable */
	int		ready;				/* ready.c's verdict */
	double		proc_hist[16];			/* processing seconds, cumulative buckets */
	uint64_t	proc_count;
	double		proc_sum;
	double		e2a_hist[16];			/* event-to-alert seconds (wall - event time) */
	uint64_t	e2a_count;
	double		e2a_sum;
	int64_t		last_checkpoint_ms;		/* 0 never */
	uint64_t	checkpoints_written, checkpoint_corrupt;
	uint64_t	checkpoint_bytes;		/* gauge: size of the last one */
	uint64_t	checkpoint_write_us;		/* gauge: the last write took */
	uint64_t	checkpoint_restore_us;		/* gauge: the last restore took */
	/* Partition images in [topics] checkpoints (ckpt_topic.c). */
	uint64_t	images_published, images_restored, images_refused;
	uint64_t	images_bytes;			/* gauge: the last publish's */
	/* Broker trouble and flow control (kafka.c, flow.c). */
	uint64_t	kafka_errors;			/* error callbacks, consume errors */
	uint64_t	deliveries_slow;		/* over DELIVERY_SLOW_MS */
	double		delivery_hist[16];		/* produce to acknowledgement, seconds */
	uint64_t	delivery_count;
	double		delivery_sum;
	int64_t		kafka_rtt_us;			/* producer's highest broker average */
	int64_t		producer_queue;			/* outputs awaiting delivery */
	int		consumer_paused;		/* flow control holds consumption */
	uint64_t	pauses_inflight, pauses_queue;	/* by reason */
	uint64_t	idle_crossings;			/* partitions the idle rule let cross */
};
extern struct daemon_metrics metrics;
/* The work loop writes the scalar fields above, the HTTP thread reads them:
 * update them only with these (relaxed atomics, no lock); histograms only
 * through metrics_observe_*(). */
#define METRICS_ADD(field, n) \
	__atomic_fetch_add(&metrics.field, (n), __ATOMIC_RELAXED)
#define METRICS_SET(field, v) \
	__atomic_store_n(&metrics.field, (v), __ATOMIC_RELAXED)
void	metrics_observe_processing(double seconds);
void	metrics_observe_event_to_alert(double seconds);
void	metrics_observe_delivery(double seconds);
/* Prometheus text format 0.0.4; new string (free()). */
char	*metrics_render(struct pipeline *);

/* ready.c: readiness (/readyz, retentiond_ready), from the work loop. */
void	ready_group(int in_group);	/* rebalance: assigned (1), lost (0) */
/* connected: a broker reachable; npartitions assigned and their lag, -1
 * when unknown. */
void	ready_update(int connected, int npartitions, int64_t lag,
	    int64_t max_lag);
void	ready_stopping(void);
int	ready_get(const char **text);	/* 1 ready; text: the /readyz body */
/* procstat.c: the standard process_* series, from /proc/self. */
struct procstat_raw {
	unsigned long long	utime_ticks, stime_ticks;	/* clock ticks */
	unsigned long long	start_ticks;			/* after boot */
	unsigned long long	vsize_bytes, rss_pages;
};
/* The text of /proc/<pid>/stat -> *out. 0, or -1 when malformed. */
int	procstat_parse_stat(const char *text, struct procstat_raw *out);
/* The process_* families (text format 0.0.4), each that could be read. */
void	procstat_render(FILE *);

/* kafka_conf.c: the clients' librdkafka configuration. */
/* Checks [kafka] keys with librdkafka's own parser, the files they name and
 * the SASL settings, without creating handles (for -t and reload). 0, or
 * -1 with "file:line: reason". */
int	kafka_check_config(const struct config *, char *errbuf, size_t errlen);

/* kafka.c: the consumer and producer adapters (kafka.h: their insides). */
struct kafka;
struct kafka *kafka_new(const struct config *, char *errbuf, size_t errlen);
void	kafka_free(struct kafka *);			/* close, then destroy */

/* partitioner.c: the producers' partitioners, for an employee's
 * canonical partition (route.c). */
enum { PARTITIONER_NONE, PARTITIONER_MURMUR2, PARTITIONER_CRC32 };
uint32_t partitioner_murmur2(const void *key, size_t len);
uint32_t partitioner_crc32(const void *key, size_t len);
int32_t	partitioner_partition(int which, const void *key, size_t len,
	    int32_t nparts);
int	partitioner_parse(const char *name);

/* dlq.c: cutting a dead-letter record to the producer's limit. */
#define DLQ_KEY_MAX	1024	/* key bytes kept in a cut record */
#define DLQ_NUM_MAX	24	/* a decimal size, NUL included */
#define DLQ_HASH_MAX	17	/* 16 hex digits and NUL */
#define DLQ_STUB_BYTES	1024	/* value kept when the broker refused a cut one */
size_t	dlq_header_cost(size_t namelen, size_t vallen);
int	dlq_fits(size_t max_bytes, size_t keylen, size_t hdr_bytes, size_t len);
size_t	dlq_prefix_len(size_t max_bytes, size_t keylen, size_t hdr_bytes,
	    size_t len);
/* Size (decimal) and FNV-1a 64 (hex) of the whole original value. */
void	dlq_describe(const void *value, size_t len, char size[DLQ_NUM_MAX],
	    char hash[DLQ_HASH_MAX]);

/* loop.c: the work loop. */
/* Runs until *stop is set: poll, pipeline_run, produce, store offsets after
 * delivery; acts on *reload (SIGHUP). The daemon lock is taken around
 * pipeline calls (HTTP shares the pipeline). */
int	kafka_run(struct kafka *, struct pipeline *, volatile int *stop,
	    volatile int *reload);

/* route.c: the hook for the shared statistics (several instances): input
 * partition p, owned by another instance, is in epoch `epoch` (its owner
 * says so once p's next event is of that epoch or later and every record p
 * sent on before it is delivered). Until every other owner's partitions
 * are said to be past the pipeline's epoch, this instance's repartition
 * streams wait like silent partitions (idle_seconds); after, they are
 * complete once read to the broker's end. On the work loop's thread. */
void	route_source_crossed(struct kafka *, int32_t p, long epoch);

/* gate.c: the epoch gate's bookkeeping (held messages, idle partitions). */
#define GATE_QUEUE_MAX	256	/* held of a repartition stream before its pause */
#define GATE_HELD_MAX	2048	/* held messages in all before pauses */
struct gate;
struct gate *gate_new(void);
void	gate_free(struct gate *);
void	gate_assign(struct gate *, int32_t partition, int64_t now_ms);
void	gate_revoke(struct gate *, int32_t partition, void (*drop)(void *arg,
	    void *item), void *arg);
void	gate_revoke_all(struct gate *, void (*drop)(void *arg, void *item),
	    void *arg);
void	gate_seen(struct gate *, int32_t partition, int64_t written_ms, int eof);
void	gate_complete(struct gate *, int32_t partition, int64_t silent_ms);
void	gate_more(struct gate *, int32_t partition);
int	gate_holding(const struct gate *, int32_t partition);
size_t	gate_held(const struct gate *);
void	gate_hold(struct gate *, int32_t partition, void *item, long epoch,
	    int front);
void	*gate_pop(struct gate *, int32_t partition);
void	*gate_head(const struct gate *, int32_t partition);	/* left held */
int	gate_due(const struct gate *, int64_t now_ms, int64_t idle_ms, long *epoch);
int32_t	gate_next_holding(const struct gate *, int32_t after);
int32_t	gate_next_idle(const struct gate *, int32_t after, int64_t now_ms,
	    int64_t idle_ms);
size_t	gate_queued(const struct gate *, int32_t partition);
void	gate_set_paused(struct gate *, int32_t partition, int paused);
int	gate_paused(const struct gate *, int32_t partition);
enum { GATE_SRC_NONE, GATE_SRC_BUSY, GATE_SRC_HOLDING, GATE_SRC_IDLE };
int	gate_source(const struct gate *, int32_t id, int64_t now_ms,
	    int64_t idle_ms, long *epoch);
int	gate_assigned(const struct gate *, int32_t id);
/* 1 when some source is assigned and every assigned one holds nothing,
 * is at its end and was last written idle_ms before now_ms or earlier. */
int	gate_quiet(const struct gate *, int64_t now_ms, int64_t idle_ms);

/* order.c: re-routed records held until the end of their epoch and given
 * back sorted by (event time, source partition, source offset); bounded,
 * with the rest let go to be read again (no Kafka inside). */
struct order_key {
	int64_t		 time_ms;	/* the event's time */
	int32_t		 src;	/* the input partition it was sent from */
	int64_t		 off;	/* its offset there */
};
struct order_item {
	struct order_key key;
	int64_t		 pos;	/* its offset in the repartition partition */
	size_t		 bytes;
	void		*item;	/* the caller's */
};
struct order;
struct order *order_new(size_t max_items, size_t max_bytes);
void	order_free(struct order *, void (*drop)(void *));
int	order_cmp(struct order_key, struct order_key);
int	order_put(struct order *, int32_t id, const struct order_item *,
	    int force, void **evicted);
struct order_item *order_take_all(struct order *, int32_t id, size_t *n);
int	order_spilled(const struct order *, int32_t id, int64_t *pos);
void	order_pass(struct order *, int32_t id, struct order_key after);
void	order_pass_end(struct order *, int32_t id);
size_t	order_count(const struct order *, int32_t id);
int64_t	order_min_pos(const struct order *, int32_t id);
void	order_drop_stream(struct order *, int32_t id, void (*drop)(void *));
int	order_pending(const struct order *);

/* track.c: the in-order offset tracker (at least once), no Kafka inside. */
struct track;
struct track_entry;
typedef void (*track_store_fn)(void *arg, int32_t partition, int64_t offset);
struct track *track_new(size_t npool);
void	track_free(struct track *);
/* NULL for partition < 0; the caller made sure an entry is free. */
struct track_entry *track_begin(struct track *, int32_t partition, int64_t offset);
void	track_end(struct track_entry *, int failed);	/* all outputs emitted */
void	track_output(struct track_entry *);		/* one more to deliver */
void	track_delivered(struct track_entry *, int ok);
void	track_entry_source(const struct track_entry *, int32_t *partition,
	    int64_t *offset);
void	track_assign(struct track *, int32_t partition);
/* After track_assign(): everything before next_offset is complete (and
 * stored as far as the cap allows). */
void	track_resume(struct track *, int32_t partition, int64_t next_offset,
	    track_store_fn store, void *arg);
void	track_revoke(struct track *, int32_t partition);	/* orphans in flight */
void	track_revoke_all(struct track *);
/* Frees complete entries; store() gets each assigned partition's last
 * complete offset. */
void	track_advance(struct track *, track_store_fn store, void *arg);
/* Stored offsets of partition stay below next_offset (its checkpoint). */
void	track_set_cap(struct track *, int32_t partition, int64_t next_offset,
	    track_store_fn store, void *arg);
size_t	track_inflight(const struct track *);
int	track_full(const struct track *);		/* no free entry */

/* checkpoint.c: checkpoint files (the body is pipeline/snapshot.c's) and
 * the safe writer for every file in the state directory. */
struct wbuf;
int	state_dir_check(const char *dir, char *errbuf, size_t errlen);
int	state_write_file(const char *dir, const char *name, const char *prev,
	    const void *, size_t, char *errbuf, size_t errlen);
void	checkpoint_frame(const void *body, size_t len, struct wbuf *out);
int	checkpoint_unframe(const void *, size_t, const void **body, size_t *len,
	    char *errbuf, size_t errlen);
/* One partition's image as the checkpoint topic carries it: EPCH and its
 * SHRD (pipeline_shard_image()), framed, appended to img, with the shard's
 * info at that moment when info is not NULL; under the lock. 0, or -1 (no
 * such shard, ENOMEM). restore: an image framed so back into p, under the
 * lock: pipeline_shard_restore()'s 0 or 1, or -1 with a reason. */
struct shard_info;
int	checkpoint_shard_image(struct pipeline *, int32_t partition,
	    struct wbuf *img, struct shard_info *info);
int	checkpoint_shard_restore(struct pipeline *, int32_t partition,
	    const void *img, size_t len, char *errbuf, size_t errlen);
int	checkpoint_save(struct pipeline *, const char *state_dir, const char *topic,
	    int drop_prev, char *errbuf, size_t errlen);
int	checkpoint_restore(struct pipeline *, const char *state_dir, const char *topic);
int	checkpoint_dump(const char *path, FILE *out, char *errbuf, size_t errlen);

/* durable.c: when the pipeline is checkpointed, where partitions resume;
 * the erasure key. */
struct durable;
struct durable *durable_new(const struct config *);
void	durable_free(struct durable *);
void	durable_restore_local(struct durable *, struct pipeline *);
int	durable_assigned(struct durable *, int32_t partition);
int64_t	durable_assign(struct durable *, struct pipeline *, int32_t partition);
int64_t	durable_cap(struct durable *, int32_t partition);
void	durable_revoke(struct durable *, int32_t partition);
/* The shard of a partition given up is kept, framed as an image, until
 * the next assignment (durable_unpark_all() then), in case the partition
 * comes back: kafka_durable.c decides when (DESIGN.md, "Scale-out").
 * take: the image (the caller's to free) or NULL; restore: the parked
 * shard back into p, 1, 0 none parked, -1 refused (logged). */
void	durable_park(struct durable *, struct pipeline *, int32_t partition);
uint8_t	*durable_take_parked(struct durable *, int32_t partition, size_t *len);
int	durable_restore_parked(struct durable *, struct pipeline *, int32_t partition);
void	durable_unpark_all(struct durable *);
/* A change since the last checkpoint is due once no message has run for
 * this long, or at once when the input is quiet (durable_quiet()). */
#define DURABLE_IDLE_MS	1000
/* The work loop found the input read to its end and silent at the broker
 * for DURABLE_IDLE_MS (gate_quiet()): what p has run until now is due. */
void	durable_quiet(struct durable *, const struct pipeline *);
int	durable_due(struct durable *, struct pipeline *);
int	durable_save(struct durable *, struct pipeline *, int force,
	    void (*saved)(void *, int32_t, int64_t), void *arg);
int	durable_erasure_key(const struct config *, uint8_t key[ERASURE_KEY_BYTES],
	    char *errbuf, size_t errlen);

/* embedded.c: librdkafka's mock cluster as an in-process broker. */
struct embedded;
struct embedded *embedded_start(const char *state_dir, char *errbuf, size_t errlen);
const char *embedded_bootstrap(const struct embedded *);
void	embedded_stop(struct embedded *);
/* embedded.h: more of embedded.c, for tools and tests only. */

/* deadline.c: sockets shut down when their deadline passes (HTTP's slow
 * clients); no HTTP in it. */
struct deadlines;
struct deadline;
struct deadlines *deadlines_new(int timeout_ms, const char *what, char *errbuf,
	    size_t errlen);
void	deadlines_free(struct deadlines *);
struct deadline *deadline_add(struct deadlines *, int fd);	/* NULL: ENOMEM */
void	deadline_restart(struct deadlines *, struct deadline *);
void	deadline_remove(struct deadlines *, struct deadline *);	/* before close(fd) */

/* http_listen.c: the endpoint's socket and bearer token, no MHD inside. */
#define HTTP_TOKEN_MAX 1024
/* Opens a listening socket for "HOST:PORT"; *loopback tells whether it is
 * bound to loopback only. The fd, or -1 with errbuf. */
int	http_open_listen(const char *listen_addr, int *loopback, char *errbuf,
	    size_t errlen);
int	http_fd_is_loopback(int fd);	/* 1 if bound to a loopback address */
/* Reads the token file (one printable word, the secrets rule applies) into
 * token (HTTP_TOKEN_MAX + 1 bytes). 0, or -1 with errbuf. */
int	http_read_token(const char *path, char *token, size_t *token_len,
	    char *errbuf, size_t errlen);
/* 1 if got equals want, in time that depends only on gotlen. */
int	http_token_equal(const char *want, size_t wantlen, const char *got,
	    size_t gotlen);

/* http.c: libmicrohttpd, loopback by default. */
struct http;
struct http *http_start(const struct config *, struct pipeline *, char *errbuf, size_t errlen);
void	http_stop(struct http *);
int	http_add_connection(struct http *, int fd);	/* for the fuzzer */

/* svg.c: chart primitives for the page, inline SVG on a stream. */
struct plot {
	FILE	*f;
	double	 width, height;			/* viewBox, px */
	double	 left, right, top, bottom;	/* plot area, px */
	double	 x0, x1, y0, y1;		/* data range */
};
void	html_escape(FILE *, const char *);
void	html_trim_utf8(char *);
double	svg_nice_step(double range, int ticks);
void	plot_begin(struct plot *, FILE *, const char *id, const char *label,
	    double width, double height);
void	plot_end(struct plot *);
void	plot_range(struct plot *, double x0, double x1, double y0, double y1);
double	plot_x(const struct plot *, double);
double	plot_y(const struct plot *, double);
void	plot_axis_x(struct plot *, const char *label, double step, int decimals);
void	plot_axis_y(struct plot *, const char *label, double step, int decimals);
void	plot_axis_x_labels(struct plot *, const char *label,
	    const char *const *names, int n, int every);
void	plot_axis_y_labels(struct plot *, const char *const *names, int n);
void	plot_rect(struct plot *, double x0, double x1, double y0, double y1,
	    const char *cls, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void	plot_point(struct plot *, double x, double y, const char *cls,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void	plot_segment(struct plot *, double x0, double y0, double x1, double y1,
	    const char *cls);
void	plot_rule_x(struct plot *, double x, const char *cls, const char *label);
void	plot_note(struct plot *, double x, double y, const char *text);
void	plot_polyline(struct plot *, const double *xs, const double *ys, int n,
	    const char *cls);
void	plot_band(struct plot *, const double *xs, const double *lo,
	    const double *hi, int n, const char *cls, const char *title);
void	plot_legend(struct plot *, const char *const *names,
	    const char *const *classes, int n);
void	plot_empty(struct plot *, const char *why);

/* charts.c: the page's charts, one function each, from a report. */
void	chart_risk(FILE *, const struct report *);
void	chart_calibration(FILE *, const struct report *);
void	chart_coefficients(FILE *, const struct report *);
void	chart_relations(FILE *, const struct report *);
void	chart_exits(FILE *, const struct report *);
void	chart_alerts(FILE *, const struct report *);
void	chart_quality(FILE *, const struct report *);
void	chart_fairness(FILE *, const struct report *);
void	chart_warmup(FILE *, const struct report *);
void	chart_sparkline(FILE *, const struct report *, int dept);

/* page.c: the HTML page at / and the employee view; the caller holds the
 * daemon lock. New strings (free()), NULL on ENOMEM. */
char	*page_render(struct pipeline *);
char	*page_render_employees(struct pipeline *, int token_required);
/* /page.css or /page.js and its media type, NULL for other urls. */
const char *page_asset(const char *url, const char **type);

/* openapi.c, generated at build time from docs/openapi.json (Makefile):
 * the self-contained OpenAPI document that http.c serves, NUL-terminated. */
extern const char	openapi_json[];
extern const size_t	openapi_json_len;

/* control.c: the configuration in force, the lock every thread takes
 * around the pipeline, and reload. */
extern struct config daemon_config;
/* Defaults, then path (may be NULL), then cross-checks; with embedded the
 * broker list may be missing. 0 or -1 with "file:line: reason". */
int	daemon_load_config(const char *path, struct config *, int embedded,
	    char *errbuf, size_t errlen);
void	daemon_lock(void);
void	daemon_unlock(void);
/* Re-reads the configuration (SIGHUP), applies thresholds, costs and
 * weights to the pipeline, keeps state; a bad file is rejected and the old
 * configuration kept. Called from the work loop's thread. */
void	daemon_reload(struct pipeline *);
/* A warning (rate-limited, no ids) when [state] max_employees refused
 * events since *seen; updates *seen. Under the lock. */
void	daemon_report_limits(struct pipeline *, uint64_t *seen);

/* replay.c: JSONL file of events through the pipeline, outputs as JSONL.
 * path "-" is stdin. score_at_ms > 0: with dump_scores, scores at that
 * event time instead of the last one. Returns 0 or -1 (I/O error). */
int	replay_run(const struct config *, const char *path, int dump_scores,
	    int64_t score_at_ms);

#endif
