package dev.fillmask.job.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * One input record as it came from Kafka, untouched: key, value, headers and where it came from. A Flink POJO (public
 * fields, no-argument constructor), so Flink serializes it without Kryo.
 */
public class KafkaRecord {
    public byte[] key;
    /** Null for a tombstone. */
    public byte[] value;
    public String[] headerKeys;
    public byte[][] headerValues;
    public String topic;
    public int partition;
    public long offset;
    public long timestamp;

    public KafkaRecord() {}

    public static KafkaRecord of(ConsumerRecord<byte[], byte[]> record) {
        KafkaRecord r = new KafkaRecord();
        r.key = record.key();
        r.value = record.value();
        Header[] headers = record.headers().toArray();
        r.headerKeys = new String[headers.length];
        r.headerValues = new byte[headers.length][];
        for (int i = 0; i < headers.length; i++) {
            r.headerKeys[i] = headers[i].key();
            r.headerValues[i] = headers[i].value();
        }
        r.topic = record.topic();
        r.partition = record.partition();
        r.offset = record.offset();
        r.timestamp = record.timestamp();
        return r;
    }

    /** Whether the record has a header {@code key}. */
    public boolean hasHeader(String key) {
        return headerKeys != null && java.util.Arrays.asList(headerKeys).contains(key);
    }

    /** Where the record came from, for messages: {@code topic-partition@offset}. */
    public String position() {
        return topic + "-" + partition + "@" + offset;
    }
}
