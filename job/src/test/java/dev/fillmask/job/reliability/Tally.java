package dev.fillmask.job.reliability;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The end-of-run accounting: the requests as the input topic holds them (read back from the broker, not as the
 * producer believes it sent them), against the answers and dead letters a read_committed consumer saw. Exactly once
 * means: every request has one answer, no answer is repeated, none answers a request that does not exist; every
 * malformed request (and only those) has an error answer and exactly one dead letter.
 */
public record Tally(int requestsIn, int inputDuplicates, int acknowledged, int acknowledgedButMissing,
                    int sendFailures, int answeredKeys, int answerRecords, int duplicates, int losses,
                    int unexpected, int errorAnswers, int wrongErrors, int deadLetters, int missingDeadLetters,
                    int extraDeadLetters, List<String> sampleLost, List<String> sampleDuplicated) {

    public static Tally take(String bootstrapServers, String inputTopic, RequestStream stream, AnswerLedger ledger) {
        Map<String, Integer> input = ClusterProbe.keysIn(bootstrapServers, inputTopic, stream.prefix());
        int inputRecords = input.values().stream().mapToInt(Integer::intValue).sum();
        Set<String> acked = stream.acknowledged();
        int ackedMissing = (int) acked.stream().filter(k -> !input.containsKey(k)).count();
        Set<String> answered = ledger.answered();
        List<String> lost = input.keySet().stream().filter(k -> !answered.contains(k)).sorted().toList();
        int unexpected = (int) answered.stream().filter(k -> !input.containsKey(k)).count();
        Set<String> expectedErrors = new HashSet<>();
        for (String key : input.keySet()) {
            if (Requests.isBad(Integer.parseInt(key.substring(key.lastIndexOf('-') + 1)))) {
                expectedErrors.add(key);
            }
        }
        Set<String> errors = ledger.errorKeys();
        int wrongErrors = 0;
        for (String key : answered) {
            if (errors.contains(key) != expectedErrors.contains(key)) {
                wrongErrors++;
            }
        }
        Map<String, Integer> letters = ledger.deadLetters();
        int missingLetters = (int) expectedErrors.stream().filter(k -> !letters.containsKey(k)).count();
        int extraLetters = 0;
        for (Map.Entry<String, Integer> e : letters.entrySet()) {
            extraLetters += expectedErrors.contains(e.getKey()) ? e.getValue() - 1 : e.getValue();
        }
        Set<String> duplicated = ledger.duplicated();
        return new Tally(input.size(), inputRecords - input.size(), acked.size(), ackedMissing, stream.failedCount(),
                answered.size(), ledger.answerRecords(), ledger.answerRecords() - answered.size(), lost.size(),
                unexpected, errors.size(), wrongErrors, ledger.deadLetterRecords(), missingLetters, extraLetters,
                lost.stream().limit(10).toList(), duplicated.stream().limit(10).toList());
    }

    /** What is wrong, if anything (empty: exactly once held). */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (requestsIn == 0) {
            problems.add("no requests reached the input topic");
        }
        if (losses > 0) {
            problems.add(losses + " request(s) without an answer, e.g. " + sampleLost);
        }
        if (duplicates > 0) {
            problems.add(duplicates + " duplicate answer(s), e.g. " + sampleDuplicated);
        }
        if (unexpected > 0) {
            problems.add(unexpected + " answer(s) to requests not in the input topic");
        }
        if (wrongErrors > 0) {
            problems.add(wrongErrors + " answer(s) with an error where none was due, or none where one was");
        }
        if (missingDeadLetters > 0 || extraDeadLetters > 0) {
            problems.add(missingDeadLetters + " dead letter(s) missing, " + extraDeadLetters + " too many");
        }
        if (acknowledgedButMissing > 0) {
            problems.add(acknowledgedButMissing + " request(s) acknowledged by the broker but not in the input topic");
        }
        return problems;
    }

    /** The table rows of the results file. */
    public List<List<String>> rows() {
        return List.of(
                List.of("requests in (input topic, read back)", Integer.toString(requestsIn)),
                List.of("answers out (read_committed)", Integer.toString(answerRecords)),
                List.of("requests answered", Integer.toString(answeredKeys)),
                List.of("of them error answers (malformed requests)", Integer.toString(errorAnswers)),
                List.of("dead letters", Integer.toString(deadLetters)),
                List.of("duplicates", Integer.toString(duplicates)),
                List.of("losses", Integer.toString(losses)),
                List.of("answers to unknown requests", Integer.toString(unexpected)),
                List.of("wrong error/non-error answers", Integer.toString(wrongErrors)),
                List.of("dead letters missing / extra", missingDeadLetters + " / " + extraDeadLetters),
                List.of("producer: acknowledged / failed sends / repeated in topic",
                        acknowledged + " / " + sendFailures + " / " + inputDuplicates));
    }
}
