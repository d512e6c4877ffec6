package dev.fillmask.job.kafka;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.EncodedAnswer;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.udf.FillMaskRecords;
import dev.fillmask.udf.ServingModel;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The operator's view of Kafka records: the request is the record's value; the answer is encoded right away with its
 * headers ({@link AnswerHeaders}), and always as a record the answer producer can send ({@link RecordSizeLimit}).
 * What gives way when it would not fit, in this order: the request's copied headers (left out, with a header giving
 * their size; the answer stays as it is), then the answer (an error saying how large it was), then the key (replaced
 * by its hash, when it is too large for any record).
 */
public final class KafkaRequests implements FillMaskRecords<KafkaRecord, AnsweredRecord> {
    private static final long serialVersionUID = 1L;
    /** Room for an error answer: a key that leaves less than this in a record cannot carry any answer. */
    private static final byte[] ERROR_ANSWER_ROOM = new byte[4096];

    private final RequestLimits limits;
    private final RecordSizeLimit recordLimit;
    private final AnswerHeaders answerHeaders;
    private transient FillMaskCodec codec;

    public KafkaRequests(RequestLimits limits, RecordSizeLimit recordLimit, AnswerHeaders answerHeaders) {
        this.limits = limits;
        this.recordLimit = recordLimit;
        this.answerHeaders = answerHeaders;
    }

    private FillMaskCodec codec() {
        if (codec == null) {
            codec = new FillMaskCodec(limits);
        }
        return codec;
    }

    @Override
    public DecodedRequest decode(KafkaRecord record) {
        return codec().readRequest(record.value); // a tombstone's null value is the codec's to refuse
    }

    @Override
    public String identity(KafkaRecord record) {
        return record.position();
    }

    /**
     * The answer without headers naming a model, as no model is known here. The operator never calls this: it names
     * the model of each batch ({@link #answered(KafkaRecord, FillMaskAnswer, ServingModel)}).
     */
    @Override
    public AnsweredRecord answered(KafkaRecord record, FillMaskAnswer answer) {
        return answered(record, answer, new Header[0]);
    }

    /** The answer, its headers naming the model that made it (the operator's, swapped or not). */
    @Override
    public AnsweredRecord answered(KafkaRecord record, FillMaskAnswer answer, ServingModel model) {
        return answered(record, answer, answerHeaders.modelHeaders(model.name(), model.version()));
    }

    private AnsweredRecord answered(KafkaRecord record, FillMaskAnswer answer, Header[] modelHeaders) {
        EncodedAnswer encoded = codec().writeBoundedAnswer(answer);
        Header[] copied = answerHeaders.copied(record);
        Header[] full = AnswerHeaders.concat(copied, modelHeaders);
        Header[] lean = copied.length == 0 ? full
                : AnswerHeaders.concat(modelHeaders, AnswerHeaders.omitted(copied));
        if (recordLimit.fits(record.key, encoded.json(), full)) {
            return new AnsweredRecord(record, encoded.json(), encoded.error(), record.key, full);
        }
        if (recordLimit.fits(record.key, encoded.json(), lean)) {
            return new AnsweredRecord(record, encoded.json(), encoded.error(), record.key, lean);
        }
        if (!recordLimit.fits(record.key, ERROR_ANSWER_ROOM, lean)) {
            String message = String.format(Locale.ROOT, "the request's key is %,d bytes: no answer fits one Kafka "
                    + "record of at most %,d bytes (the producers' max.request.size) with it, so this answer goes "
                    + "under the key sha256:<the key's SHA-256>, also in the header %s; send a shorter key",
                    record.key.length, recordLimit.maxRecordBytes(), RecordSizeLimit.HEADER_KEY_SHA256);
            EncodedAnswer error = codec().writeBoundedAnswer(FillMaskAnswer.error(message));
            String hash = RecordSizeLimit.sha256(record.key);
            byte[] standIn = ascii("sha256:" + hash);
            Header[] keyHeaders = {new RecordHeader(RecordSizeLimit.HEADER_KEY_SHA256, ascii(hash)),
                    new RecordHeader(RecordSizeLimit.HEADER_KEY_OMITTED, ascii(Integer.toString(record.key.length)))};
            return new AnsweredRecord(record, error.json(), error.error(), standIn, fitting(standIn, error.json(),
                    AnswerHeaders.concat(keyHeaders, full), AnswerHeaders.concat(keyHeaders, lean)));
        }
        String message = String.format(Locale.ROOT, "the answer would be %,d bytes: with its key it does not fit one "
                + "Kafka record of at most %,d bytes (the producers' max.request.size): ask for fewer candidates "
                + "(`parameters.top_k`), use fewer masks or send a shorter input", encoded.json().length,
                recordLimit.maxRecordBytes());
        EncodedAnswer error = codec().writeBoundedAnswer(FillMaskAnswer.error(message));
        return new AnsweredRecord(record, error.json(), error.error(), record.key,
                fitting(record.key, error.json(), full, lean));
    }

    /** {@code full} if the record fits with it, else {@code lean}, which always fits with an error answer. */
    private Header[] fitting(byte[] key, byte[] value, Header[] full, Header[] lean) {
        return recordLimit.fits(key, value, full) ? full : lean;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
