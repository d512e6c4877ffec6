package dev.fillmask.job.kafka;

/**
 * An input record with its answer, encoded: what both sinks need. {@code error} is the error answer's message (then
 * the record also goes to the dead-letter topic), null for a real answer. A Flink POJO.
 */
public class AnsweredRecord {
    public KafkaRecord request;
    /** The answer's JSON (UTF-8): candidates, rows of candidates, or {"error": ...}. */
    public byte[] answer;
    public String error;
    /** The request's key is too large for any record: the answer goes under its hash ({@link RecordSizeLimit}). */
    public boolean keyTooLarge;

    public AnsweredRecord() {}

    public AnsweredRecord(KafkaRecord request, byte[] answer, String error, boolean keyTooLarge) {
        this.request = request;
        this.answer = answer;
        this.error = error;
        this.keyTooLarge = keyTooLarge;
    }

    public boolean isError() {
        return error != null;
    }
}
