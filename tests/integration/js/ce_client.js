#!/usr/bin/env node
// ce_client.js: a Kafka client nobody here wrote, for test_cloudevents.py.
// KafkaJS moves the records, the CloudEvents JavaScript SDK's Kafka binding
// writes and reads them, so what the daemon accepts and publishes is judged
// by the SDK and not by our own reading of the spec.
//
//   node ce_client.js produce BOOTSTRAP TOPIC EVENTS.json
//     EVENTS.json: [{"mode": M, "event": {CloudEvent attributes + data}}]
//     M: "binary"           Kafka.binary()
//        "structured"       Kafka.structured()
//        "structured+ce"    Kafka.structured() plus a ce_specversion header
//        "structured+all"   Kafka.structured() plus every header binary
//                           mode would carry (the binding allows both)
//     Prints {"produced": N} once every record is acknowledged.
//
//   node ce_client.js consume BOOTSTRAP TOPIC[,TOPIC...] COUNT TIMEOUT_MS
//     Reads the topics from the beginning until COUNT records arrived and
//     prints one JSON line per record: topic, partition, offset, key,
//     headers, value, and either "event" (Kafka.toEvent() of it, after the SDK's
//     own validate()) or "error" (why the SDK refused it). Exit 0 when
//     COUNT records were read, 3 on timeout.
"use strict";

const { CloudEvent, Kafka: CeKafka } = require("cloudevents");
const { Kafka, Partitioners, logLevel } = require("kafkajs");
const fs = require("fs");

function client(bootstrap) {
	return new Kafka({
		clientId: "retentiond-it-js",
		brokers: bootstrap.split(","),
		logLevel: logLevel.ERROR,
		retry: { retries: 8 },
	});
}

// KafkaJS wants string or Buffer header values; the SDK may hand others.
function stringHeaders(h) {
	const out = {};
	for (const [k, v] of Object.entries(h || {}))
		if (v !== undefined && v !== null)
			out[k] = String(v);
	return out;
}

function toRecord(mode, attrs) {
	const ev = new CloudEvent({ ...attrs, partitionkey: attrs.subject });
	const bin = CeKafka.binary(ev);
	if (mode === "binary")
		return { key: bin.key, value: JSON.stringify(bin.value),
			 headers: stringHeaders(bin.headers) };
	const st = CeKafka.structured(ev);
	const headers = stringHeaders(st.headers);
	if (mode === "structured+ce")
		headers.ce_specversion = "1.0";
	else if (mode === "structured+all")
		Object.assign(headers, stringHeaders(bin.headers),
			      { "content-type": st.headers["content-type"] });
	else if (mode !== "structured")
		throw new Error("unknown mode " + mode);
	return { key: st.key, value: st.value, headers };
}

async function produce(bootstrap, topic, file) {
	const items = JSON.parse(fs.readFileSync(file, "utf8"));
	const messages = items.map((it) => toRecord(it.mode, it.event));
	const producer = client(bootstrap).producer({
		createPartitioner: Partitioners.DefaultPartitioner,
		allowAutoTopicCreation: false,
	});
	await producer.connect();
	try {
		// One batch per call keeps each key's records in order.
		await producer.send({ topic, messages, acks: -1 });
	} finally {
		await producer.disconnect();
	}
	console.log(JSON.stringify({ produced: messages.length }));
}

function describe(topic, partition, m) {
	const headers = {};
	for (const [k, v] of Object.entries(m.headers || {}))
		headers[k] = v === undefined || v === null ? null : v.toString();
	const rec = {
		topic, partition, offset: m.offset,
		key: m.key ? m.key.toString() : null, headers,
		value: m.value ? m.value.toString() : null,
	};
	try {
		const ev = CeKafka.toEvent({ key: rec.key, headers, value: rec.value });
		if (Array.isArray(ev))
			throw new Error("a batch, not one event");
		ev.validate();		// toEvent() itself does not validate
		rec.event = ev.toJSON();
	} catch (e) {
		rec.error = String(e && e.message ? e.message : e) +
		    (e && e.errors ? " " + JSON.stringify(e.errors) : "");
	}
	return rec;
}

async function consume(bootstrap, topics, count, timeoutMs) {
	const consumer = client(bootstrap).consumer({
		groupId: "retentiond-it-js-" + process.pid + "-" + Date.now(),
	});
	let seen = 0, finish;
	const done = new Promise((resolve) => { finish = resolve; });
	const timer = setTimeout(() => finish(false), timeoutMs);
	await consumer.connect();
	for (const topic of topics)
		await consumer.subscribe({ topic, fromBeginning: true });
	await consumer.run({
		eachMessage: async ({ topic, partition, message }) => {
			if (seen >= count)
				return;
			console.log(JSON.stringify(describe(topic, partition, message)));
			if (++seen >= count)
				finish(true);
		},
	});
	const ok = await done;
	clearTimeout(timer);
	await consumer.disconnect();
	if (!ok)
		console.error("timed out after " + seen + " of " + count + " records");
	return ok;
}

async function main(argv) {
	if (argv[0] === "produce" && argv.length === 4)
		return produce(argv[1], argv[2], argv[3]);
	if (argv[0] === "consume" && argv.length === 5) {
		const ok = await consume(argv[1], argv[2].split(","), Number(argv[3]),
		    Number(argv[4]));
		process.exitCode = ok ? 0 : 3;
		return;
	}
	console.error("usage: ce_client.js produce BOOTSTRAP TOPIC FILE | " +
	    "consume BOOTSTRAP TOPICS COUNT TIMEOUT_MS");
	process.exitCode = 2;
}

main(process.argv.slice(2)).catch((e) => {
	console.error("ce_client: " + (e && e.stack ? e.stack : e));
	process.exitCode = 1;
});
