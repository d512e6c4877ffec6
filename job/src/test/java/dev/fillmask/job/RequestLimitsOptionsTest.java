package dev.fillmask.job;

import dev.fillmask.job.kafka.RecordSizeLimit;
import dev.fillmask.job.JobArguments;
import dev.fillmask.job.kafka.KafkaRecord;
import dev.fillmask.job.kafka.AnswerHeaders;
import dev.fillmask.job.kafka.KafkaRequests;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.testing.TinyMaskedLm;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every bound of the contract is an option of the job, and each holds exactly: a request at the bound is answered,
 * one past it gets an error answer naming the bound. The options are read as the job reads them (command line ->
 * configuration -> limits); the model is the tiny one ({@code <mask>}).
 */
class RequestLimitsOptionsTest {
    @TempDir
    static Path dir;
    private static FillMaskEngine engine;
    private static KafkaRequests records;

    @BeforeAll
    static void open() {
        Configuration options = JobArguments.parse(new String[] {"--max-request-bytes", "300", "--max-input-chars",
                "120", "--max-masks", "2", "--max-targets", "3", "--max-top-k", "4"});
        RequestLimits limits = FillMaskOptions.requestLimits(options);
        records = new KafkaRequests(limits, RecordSizeLimit.of(new java.util.Properties()),
                AnswerHeaders.of("all"));
        engine = FillMaskEngine.open(TinyMaskedLm.write(dir.resolve("tiny")),
                EngineOptions.defaults().withIntraOpThreads(1).withLimits(limits));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static FillMaskAnswer answer(String json) {
        KafkaRecord record = new KafkaRecord();
        record.value = json.getBytes(StandardCharsets.UTF_8);
        DecodedRequest decoded = records.decode(record);
        if (decoded instanceof DecodedRequest.Invalid invalid) {
            return FillMaskAnswer.error(invalid.reason());
        }
        return engine.predict(((DecodedRequest.Valid) decoded).request());
    }

    private static void answered(String json) {
        FillMaskAnswer a = answer(json);
        assertFalse(a.isError(), json + " -> " + a);
    }

    private static void refused(String json, String mentions) {
        FillMaskAnswer a = answer(json);
        FillMaskAnswer.Error e = assertInstanceOf(FillMaskAnswer.Error.class, a, json);
        assertTrue(e.message().contains(mentions), e.message());
    }

    private static String request(String inputs, String parameters) {
        return "{\"inputs\": \"" + inputs + "\"" + (parameters == null ? "" : ", \"parameters\": " + parameters) + "}";
    }

    @Test
    void requestBytes() {
        String head = request("the <mask>.", null);
        String atBound = head.substring(0, head.length() - 1) + " ".repeat(300 - head.length()) + "}";
        answered(atBound);
        refused(atBound.substring(0, atBound.length() - 1) + " }", "300");
    }

    @Test
    void inputCharacters() {
        String text = "the <mask>." + " a".repeat(50);
        String atBound = text + "x".repeat(120 - text.length());
        answered(request(atBound, null));
        refused(request(atBound + "x", null), "120");
    }

    @Test
    void masks() {
        answered(request("the <mask> sat on the <mask>.", null));
        refused(request("the <mask> sat <mask> on the <mask>.", null), "limit of 2");
    }

    @Test
    void targets() {
        answered(request("the <mask>.", "{\"targets\": [\"cat\", \"dog\", \"car\"]}"));
        refused(request("the <mask>.", "{\"targets\": [\"cat\", \"dog\", \"car\", \"sun\"]}"), "3");
    }

    @Test
    void topK() {
        answered(request("the <mask>.", "{\"top_k\": 4}"));
        refused(request("the <mask>.", "{\"top_k\": 5}"), "4");
    }

    @Test
    void theDefaultsAreTheContractsDefaults() {
        RequestLimits defaults = FillMaskOptions.requestLimits(new Configuration());
        assertTrue(defaults.equals(RequestLimits.defaults()), defaults.toString());
    }
}
