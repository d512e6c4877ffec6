package dev.fillmask.job.kafka;

import dev.fillmask.schemas.RequestLimits;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;

/**
 * The largest record the job's producers can send, measured as the producer measures it before it sends, and the
 * helpers that keep every answer and dead letter under it. A record over it fails the sink and with it the job, and
 * after the restart the same record fails it again, for ever: so no record of ours may be over it, whatever the
 * request's key, headers or answer.
 */
public final class RecordSizeLimit implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Kafka's default {@code max.request.size}. */
    static final int KAFKA_DEFAULT_MAX_REQUEST_SIZE = 1 << 20;
    /** Kafka's default {@code buffer.memory}: a record must also fit the producer's whole buffer. */
    static final long KAFKA_DEFAULT_BUFFER_MEMORY = 32L << 20;
    /** The header that carries the SHA-256 (hex) of a key left out of a record. */
    public static final String HEADER_KEY_SHA256 = "fill-mask.key.sha256";
    /** The header that says how many bytes a left-out key had. */
    public static final String HEADER_KEY_OMITTED = "fill-mask.key.omitted.bytes";

    private final int maxRecordBytes;

    RecordSizeLimit(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    /** The limit of producers made with these client properties ({@code max.request.size}, {@code buffer.memory}). */
    public static RecordSizeLimit of(Properties producerProperties) {
        long maxRequest = longProperty(producerProperties, ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                KAFKA_DEFAULT_MAX_REQUEST_SIZE);
        long buffer = longProperty(producerProperties, ProducerConfig.BUFFER_MEMORY_CONFIG, KAFKA_DEFAULT_BUFFER_MEMORY);
        return new RecordSizeLimit((int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.min(maxRequest, buffer))));
    }

    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    /** The answer bound that leaves {@link RequestLimits#ANSWER_RECORD_RESERVE_BYTES} for key, headers and framing. */
    public int defaultMaxAnswerBytes() {
        return Math.max(1, maxRecordBytes - RequestLimits.ANSWER_RECORD_RESERVE_BYTES);
    }

    /** The bytes the producer counts for this record (its upper bound, as it checks before sending). */
    public static int sizeOf(byte[] key, byte[] value, Header[] headers) {
        return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE,
                key, value, headers);
    }

    public boolean fits(byte[] key, byte[] value, Header[] headers) {
        return sizeOf(key, value, headers) <= maxRecordBytes;
    }

    /** The key that stands in for a key too large to send: {@code sha256:} and the key's SHA-256 in hex. */
    public static byte[] keyStandIn(byte[] key) {
        return ("sha256:" + sha256(key)).getBytes(StandardCharsets.US_ASCII);
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static long longProperty(Properties properties, String name, long fallback) {
        Object value = properties.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            return Long.parseLong(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the Kafka client property " + name + " must be a number of bytes, got '"
                    + value + "'");
        }
    }
}
