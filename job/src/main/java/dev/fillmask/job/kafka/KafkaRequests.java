package dev.fillmask.job.kafka;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.udf.flink.FillMaskRecords;

/** The operator's view of Kafka records: the request is the record's value; the answer is encoded right away. */
public final class KafkaRequests implements FillMaskRecords<KafkaRecord, AnsweredRecord> {
    private static final long serialVersionUID = 1L;

    private final RequestLimits limits;
    private transient FillMaskCodec codec;

    public KafkaRequests(RequestLimits limits) {
        this.limits = limits;
    }

    private FillMaskCodec codec() {
        if (codec == null) {
            codec = new FillMaskCodec(limits);
        }
        return codec;
    }

    /** What a record without a value is told. */
    static final String TOMBSTONE = "the record has no value (a tombstone): expected a JSON fill-mask request";

    /** The error answer of a tombstone. */
    public FillMaskAnswer answeredTombstone() {
        return FillMaskAnswer.error(TOMBSTONE);
    }

    @Override
    public DecodedRequest decode(KafkaRecord record) {
        if (record.value == null) {
            return new DecodedRequest.Invalid(TOMBSTONE);
        }
        return codec().readRequest(record.value);
    }

    @Override
    public AnsweredRecord answered(KafkaRecord record, FillMaskAnswer answer) {
        String error = answer instanceof FillMaskAnswer.Error e ? e.message() : null;
        return new AnsweredRecord(record, codec().writeAnswer(answer), error);
    }
}
