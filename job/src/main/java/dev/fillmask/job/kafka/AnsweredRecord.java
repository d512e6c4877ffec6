package dev.fillmask.job.kafka;

import org.apache.kafka.common.header.Header;

/**
 * An input record with its answer, encoded, and the answer record's key and headers as {@link KafkaRequests} chose
 * them so that the record fits: what both sinks need. {@code error} is the error answer's message (then the record
 * also goes to the dead-letter topic), null for a real answer. A Flink POJO.
 */
public class AnsweredRecord {
    public KafkaRecord request;
    /** The answer's JSON (UTF-8): candidates, rows of candidates, or {"error": ...}. */
    public byte[] answer;
    public String error;
    /** The answer record's key: the request's, or {@code sha256:<hex>} when that is too large ({@link RecordSizeLimit}). */
    public byte[] key;
    public String[] headerKeys;
    public byte[][] headerValues;

    public AnsweredRecord() {}

    public AnsweredRecord(KafkaRecord request, byte[] answer, String error, byte[] key, Header[] headers) {
        this.request = request;
        this.answer = answer;
        this.error = error;
        this.key = key;
        this.headerKeys = new String[headers.length];
        this.headerValues = new byte[headers.length][];
        for (int i = 0; i < headers.length; i++) {
            headerKeys[i] = headers[i].key();
            headerValues[i] = headers[i].value();
        }
    }

    public boolean isError() {
        return error != null;
    }
}
