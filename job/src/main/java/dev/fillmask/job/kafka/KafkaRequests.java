package dev.fillmask.job.kafka;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.EncodedAnswer;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.udf.FillMaskRecords;

import org.apache.kafka.common.header.Header;

import java.util.Locale;

/**
 * The operator's view of Kafka records: the request is the record's value; the answer is encoded right away, and
 * always as a record the answer producer can send ({@link RecordSizeLimit}): an answer too large for one record with
 * its key becomes an error answer, and a key too large for any record is replaced by its hash.
 */
public final class KafkaRequests implements FillMaskRecords<KafkaRecord, AnsweredRecord> {
    private static final long serialVersionUID = 1L;
    private static final Header[] NO_HEADERS = new Header[0];
    /** Room for an error answer: a key that leaves less than this in a record cannot carry any answer. */
    private static final byte[] ERROR_ANSWER_ROOM = new byte[4096];

    private final RequestLimits limits;
    private final RecordSizeLimit recordLimit;
    private transient FillMaskCodec codec;

    public KafkaRequests(RequestLimits limits, RecordSizeLimit recordLimit) {
        this.limits = limits;
        this.recordLimit = recordLimit;
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

    @Override
    public AnsweredRecord answered(KafkaRecord record, FillMaskAnswer answer) {
        EncodedAnswer encoded = codec().writeBoundedAnswer(answer);
        if (recordLimit.fits(record.key, encoded.json(), NO_HEADERS)) {
            return new AnsweredRecord(record, encoded.json(), encoded.error(), false);
        }
        if (!recordLimit.fits(record.key, ERROR_ANSWER_ROOM, NO_HEADERS)) {
            String message = String.format(Locale.ROOT, "the request's key is %,d bytes: no answer fits one Kafka "
                    + "record of at most %,d bytes (the producers' max.request.size) with it, so this answer goes "
                    + "under the key sha256:<the key's SHA-256>, also in the header %s; send a shorter key",
                    record.key.length, recordLimit.maxRecordBytes(), RecordSizeLimit.HEADER_KEY_SHA256);
            EncodedAnswer error = codec().writeBoundedAnswer(FillMaskAnswer.error(message));
            return new AnsweredRecord(record, error.json(), error.error(), true);
        }
        String message = String.format(Locale.ROOT, "the answer would be %,d bytes: with its key it does not fit one "
                + "Kafka record of at most %,d bytes (the producers' max.request.size): ask for fewer candidates "
                + "(`parameters.top_k`), use fewer masks or send a shorter input", encoded.json().length,
                recordLimit.maxRecordBytes());
        EncodedAnswer error = codec().writeBoundedAnswer(FillMaskAnswer.error(message));
        return new AnsweredRecord(record, error.json(), error.error(), false);
    }
}
