/*
 * Topics through the Admin API and metadata: the partition count of a
 * topic, and creating an internal topic where the cluster allows it
 * (route.c's repartition topic, ckpt_topic.c's compacted checkpoint
 * topic; DESIGN.md "Scale-out").
 */
#include <inttypes.h>
#include <stdint.h>

#include "kafka.h"

#define METADATA_MS	5000
#define CREATE_MS	1000	/* CreateTopics: a cluster without it may not answer */

/* See kafka.h. */
void
kafka_create_topic(struct kafka *k, const char *topic, int32_t partitions)
{
	kafka_create_topic_with(k, topic, partitions, NULL, NULL);
}

/* See kafka.h. */
void
kafka_create_topic_with(struct kafka *k, const char *topic, int32_t partitions,
    const char *name, const char *value)
{
	rd_kafka_NewTopic_t	*nt;
	rd_kafka_AdminOptions_t	*opt;
	rd_kafka_queue_t	*q;
	rd_kafka_event_t	*ev;
	char			 err[256];

	if (kafka_partition_count(k->consumer, topic, 1) > 0 ||
	    (nt = rd_kafka_NewTopic_new(topic, partitions, -1, err,
	    sizeof(err))) == NULL)
		return;
	if (name != NULL && rd_kafka_NewTopic_set_config(nt, name, value) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warnx("creating %s: %s=%s refused by the client", topic, name,
		    value);
	q = rd_kafka_queue_new(k->producer);
	opt = rd_kafka_AdminOptions_new(k->producer, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	(void)rd_kafka_AdminOptions_set_request_timeout(opt, CREATE_MS, err,
	    sizeof(err));
	rd_kafka_CreateTopics(k->producer, &nt, 1, opt, q);
	if ((ev = rd_kafka_queue_poll(q, CREATE_MS + 500)) != NULL) {
		const rd_kafka_CreateTopics_result_t *res =
		    rd_kafka_event_CreateTopics_result(ev);
		size_t n = 0;
		const rd_kafka_topic_result_t **tr = res != NULL ?
		    rd_kafka_CreateTopics_result_topics(res, &n) : NULL;

		if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR)
			log_info("creating %s: %s (left to the cluster)", topic,
			    rd_kafka_event_error_string(ev));
		else if (n == 1 && rd_kafka_topic_result_error(tr[0]) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			log_info("creating %s: %s (left to the cluster)", topic,
			    rd_kafka_topic_result_error_string(tr[0]));
		else
			log_info("created %s with %" PRId32 " partitions", topic,
			    partitions);
		rd_kafka_event_destroy(ev);
	} else
		log_info("creating %s: no answer within %d ms (left to the "
		    "cluster)", topic, CREATE_MS);
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_queue_destroy(q);
	rd_kafka_NewTopic_destroy(nt);
}

/* See kafka.h. */
int32_t
kafka_partition_count(rd_kafka_t *rk, const char *topic, int tries)
{
	const struct rd_kafka_metadata	*md = NULL;
	rd_kafka_topic_t		*rkt;
	int32_t				 n = 0;

	if ((rkt = rd_kafka_topic_new(rk, topic, NULL)) == NULL)
		return 0;
	for (int i = 0; i < tries && n == 0; i++) {
		if (rd_kafka_metadata(rk, 0, rkt, &md, METADATA_MS) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			continue;
		if (md->topic_cnt == 1 && md->topics[0].err ==
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			n = md->topics[0].partition_cnt;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return n;
}

